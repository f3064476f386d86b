# Shell helpers shared by the scripts that start local servers (source it, do not run it).

# A loopback port that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits up to 10 s for something to listen on 127.0.0.1:<port>.
wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on 127.0.0.1:$1" >&2
  exit 1
}

# The pinned nightly toolchain: the release wasm's standard library is rebuilt with it (panics
# abort at once, without the message machinery: scripts/build.sh), and cargo-fuzz needs it.
# Pinned so a new nightly cannot change a build from one day to the next.
MESHMAP_NIGHTLY=nightly-2026-10-29
