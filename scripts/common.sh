# Shared by the scripts: make the Go toolchain and Go-installed tools
# reachable whatever PATH the caller had.
export PATH="$PATH:/usr/local/go/bin"
PATH="$PATH:$(go env GOPATH)/bin"
export PATH
