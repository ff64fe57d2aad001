# Sourced: make ./.venv with dnsdoctor installed (editable). On a fresh Debian 12, python3-venv
# may be missing (Debian splits ensurepip out); install it when we are root.
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$VENV"
    else
      echo "python3 -m venv failed: install python3-venv (apt-get install python3-venv)" >&2
      exit 2
    fi
  fi
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".${PIP_EXTRAS:-}"
