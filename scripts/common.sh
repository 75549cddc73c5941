# Shared by the scripts: make the Go toolchain and Go-installed tools
# reachable whatever PATH the caller had.
export PATH="$PATH:/usr/local/go/bin"
PATH="$PATH:$(go env GOPATH)/bin"
export PATH

# load_dotenv FILE exports each NAME=VALUE line of FILE whose NAME the
# environment does not already set, so the environment wins as it does in
# the vigil binary itself.
load_dotenv() {
  local line name value
  [ -f "$1" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    name=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    [ -n "${!name+x}" ] && continue
    if [[ "$value" =~ ^\"(.*)\"$ ]] || [[ "$value" =~ ^\'(.*)\'$ ]]; then
      value=${BASH_REMATCH[1]}
    fi
    export "$name=$value"
  done < "$1"
}
