# Sourced by the other scripts: exports JAVA_HOME pointing at a JDK >= 21.
# Order: JAVA_HOME if it is >= 21, then Temurin 25 where these machines keep it, then any >= 21 under /usr/lib/jvm.

java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2; exit}'
}

pick_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "${major%%.*}" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "spillway: no JDK >= 21 found. Install one (for example Temurin 21 or 25) and set JAVA_HOME to it." >&2
  return 1
}

pick_jdk || exit 1
command -v mvn >/dev/null 2>&1 || { echo "spillway: Maven (mvn) is not on PATH; install it (apt-get install maven)." >&2; exit 1; }
