package api

// mountStorage registers /videos and /admin. Both are always there, so a
// server without storage or without admin credentials answers with a code
// that says why instead of 404.
func (s *Server) mountStorage(opts Options) error {
	vids := &videos{log: s.log, store: opts.Storage, meta: opts.Videos}
	g := s.app.Group("/videos", s.sessions.requireUser, requireStorage(opts.Storage))
	g.Post("/upload-url", limitBody(storageBodyLimit), vids.uploadURL)
	g.Get("/download-url", vids.downloadURL)
	g.Get("/", vids.list)
	g.Delete("/", vids.remove)

	adm, err := newAdmin(s.log, opts.Storage, opts.Videos)
	if err != nil {
		return err
	}
	auth := newAdminAuth(opts.AdminUsername, opts.AdminPassword)
	a := s.app.Group("/admin", auth.require, auth.check)
	a.Get("/", adm.dashboard)
	a.Post("/upload-url", requireStorage(opts.Storage), limitBody(storageBodyLimit), adm.uploadURL)
	a.Get("/objects", requireStorage(opts.Storage), adm.objects)
	a.Delete("/object", requireStorage(opts.Storage), adm.remove)
	return nil
}
