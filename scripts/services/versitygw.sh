#!/usr/bin/env bash
# Starts a throwaway versitygw S3 gateway (posix backend) for the lake's S3
# integration tests.
#
# Builds versitygw once into .tools/ (5-10 minutes cold), serves a root dir
# under $TICKERLAKE_TEST_RUN/versitygw on a free 127.0.0.1 port with fixed
# test keys, and creates the bucket tickerlake. Prints
# TICKERLAKE_TEST_S3_ENDPOINT, TICKERLAKE_TEST_S3_BUCKET,
# TICKERLAKE_TEST_S3_ACCESS_KEY, TICKERLAKE_TEST_S3_SECRET_KEY,
# TICKERLAKE_TEST_S3_REGION and PID=<versitygw pid>.
set -euo pipefail
. "$(dirname "$0")/../lib/services.sh"
cd "$(dirname "$0")/../.."
root=$(pwd)
run=${TICKERLAKE_TEST_RUN:?TICKERLAKE_TEST_RUN is not set}
bin="$root/.tools/versitygw"
if [ ! -x "$bin" ]; then
  echo "building versitygw v1.8.0 into .tools (once)" >&2
  GOBIN="$root/.tools" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 >&2
fi

port=$(free_port)
access=tickerlake-test
secret=tickerlake-test-secret
region=us-east-1
bucket=tickerlake

dir="$run/versitygw"
rm -rf "$dir"
mkdir -p "$dir/root"
# The posix backend keeps object metadata in extended attributes; where the
# filesystem has none, a sidecar directory holds it.
meta=()
if ! python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.probe", b"1")' "$dir/root" 2>/dev/null; then
  mkdir -p "$dir/meta"
  meta=(--sidecar "$dir/meta")
fi

"$bin" --access "$access" --secret "$secret" --region "$region" --port "127.0.0.1:$port" --quiet \
  posix "${meta[@]}" "$dir/root" >"$dir/versitygw.log" 2>&1 &
pid=$!
url="http://127.0.0.1:$port"
wait_ready versitygw "$pid" "$dir/versitygw.log" curl -s -o /dev/null "$url/"
curl -fsS -o /dev/null -X PUT --aws-sigv4 "aws:amz:$region:s3" --user "$access:$secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$url/$bucket" >&2 ||
  { echo "could not create bucket $bucket; see $dir/versitygw.log" >&2; kill "$pid"; exit 1; }

echo "TICKERLAKE_TEST_S3_ENDPOINT=$url"
echo "TICKERLAKE_TEST_S3_BUCKET=$bucket"
echo "TICKERLAKE_TEST_S3_ACCESS_KEY=$access"
echo "TICKERLAKE_TEST_S3_SECRET_KEY=$secret"
echo "TICKERLAKE_TEST_S3_REGION=$region"
echo "PID=$pid"
