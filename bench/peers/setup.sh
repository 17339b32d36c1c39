#!/usr/bin/env bash
# Installs what bench:peers runs the peers with, from the package registries only (PyPI, Maven
# Central), into a cached venv: pyspark with the spark-avro jar of the same Spark and Scala version,
# DuckDB, fastavro and pyarrow (the Avro-to-Parquet conversion). Idempotent: a second run checks
# the stamp and installs nothing. Java 17+ must be on PATH (Spark 4 runs on 17 and 21).
#
#   bash bench/peers/setup.sh            # pinned Spark 4.2.0 (Scala 2.13)
#   DAYBREAK_PEERS_SPARK=3.5.9 bash bench/peers/setup.sh   # the fallback pair (Scala 2.12)
set -euo pipefail

PEERS_HOME="${DAYBREAK_PEERS_HOME:-$HOME/.cache/daybreak/peers}"
SPARK_VERSION="${DAYBREAK_PEERS_SPARK:-4.2.0}"
case "$SPARK_VERSION" in
  4.*) SCALA=2.13 ;;
  3.*) SCALA=2.12 ;;
  *) echo "setup: unsupported Spark version $SPARK_VERSION" >&2; exit 2 ;;
esac
PACKAGES=("pyspark==$SPARK_VERSION" "duckdb==2.0.1" "fastavro==1.13.1" "pyarrow==26.0.1")
AVRO_JAR="spark-avro_$SCALA-$SPARK_VERSION.jar"
STAMP="$PEERS_HOME/installed.txt"
WANT="${PACKAGES[*]} $AVRO_JAR"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$PEERS_HOME/venv/bin/python" && -f "$PEERS_HOME/jars/$AVRO_JAR" ]]; then
  echo "setup: $PEERS_HOME already has $WANT"
  exit 0
fi
command -v java >/dev/null || { echo "setup: java (17 or newer) is not on PATH; Spark needs it" >&2; exit 1; }
PYTHON="${PYTHON:-python3}"
started=$(date +%s)
mkdir -p "$PEERS_HOME/jars"
if [[ ! -x "$PEERS_HOME/venv/bin/python" ]]; then
  echo "setup: creating the venv $PEERS_HOME/venv with $($PYTHON --version)"
  "$PYTHON" -m venv "$PEERS_HOME/venv"
fi
echo "setup: pip install ${PACKAGES[*]}"
"$PEERS_HOME/venv/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"

if [[ ! -f "$PEERS_HOME/jars/$AVRO_JAR" ]]; then
  echo "setup: org.apache.spark:spark-avro_$SCALA:$SPARK_VERSION from Maven Central"
  if command -v mvn >/dev/null; then
    mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=org.apache.spark:spark-avro_$SCALA:$SPARK_VERSION" \
      -Dtransitive=false "-DoutputDirectory=$PEERS_HOME/jars"
  else
    # Spark's own jars already hold Avro: spark-avro is the only jar needed, without its dependencies.
    curl -fsSL -o "$PEERS_HOME/jars/$AVRO_JAR.part" \
      "https://repo1.maven.org/maven2/org/apache/spark/spark-avro_$SCALA/$SPARK_VERSION/$AVRO_JAR"
    mv "$PEERS_HOME/jars/$AVRO_JAR.part" "$PEERS_HOME/jars/$AVRO_JAR"
  fi
fi
echo "$WANT" >"$STAMP"
echo "setup: done in $(($(date +%s) - started)) s; venv $(du -sm "$PEERS_HOME" | cut -f1) MB at $PEERS_HOME"
