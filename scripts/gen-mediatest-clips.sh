#!/usr/bin/env bash
# Encodes the clips media/mediatest plays as a camera: 3 s of ffmpeg's
# testsrc2 picture (320x240, 30 frames a second, a keyframe every 15
# frames) as VP8 and as H.264 (constrained baseline, SPS and PPS before
# every IDR, as WebRTC cameras send them), and a 440 Hz tone as 20 ms
# Opus packets, one per Ogg page. The output is committed; run this only
# to change the clips. Needs Debian's ffmpeg.
set -euo pipefail
out="$(dirname "$0")/../media/mediatest/testdata"
mkdir -p "$out"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
ff -f lavfi -i testsrc2=size=320x240:rate=30 -t 3 -c:v libvpx -b:v 200k -g 15 -keyint_min 15 \
  -auto-alt-ref 0 -deadline realtime -cpu-used 8 "$out/camera.ivf"
ff -f lavfi -i testsrc2=size=320x240:rate=30 -t 3 -c:v libx264 -profile:v baseline -level 3.1 \
  -pix_fmt yuv420p -b:v 200k -g 15 -keyint_min 15 -sc_threshold 0 -bf 0 \
  -x264-params repeat-headers=1 -f h264 "$out/camera.h264"
ff -f lavfi -i sine=frequency=440:sample_rate=48000 -t 3 -c:a libopus -b:a 32k \
  -frame_duration 20 -ac 2 -page_duration 20000 "$out/camera.ogg"
