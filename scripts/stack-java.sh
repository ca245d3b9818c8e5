# Sourced by plan, preflight and purge: builds the stack module and runs one of its main classes.
# Usage: stack_java dev.spillway.stack.SomeMain args...
stack_java() {
  local main="$1"; shift
  mvn -B -q -ntp -pl stack -am install -DskipTests >&2
  mvn -B -q -ntp -pl stack dependency:build-classpath -Dmdep.outputFile="$PWD/stack/target/run.classpath" -Dmdep.includeScope=runtime >&2
  java -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
    -cp "stack/target/classes:$(cat stack/target/run.classpath)" "$main" "$@"
}
