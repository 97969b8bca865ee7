#!/usr/bin/env bash
# Re-fetches the explorer's third-party files from the npm registry into this folder.
# Not run by CI: the files are committed. Needs npm and tar. Change a version here and in
# README.md beside this script, run it, and check the page (tests/browser/test_explorer_in_a_browser.py).
set -euo pipefail
cd "$(dirname "$0")"

GRAPHIQL=4.1.2  # the newest major that still ships a build for a plain <script> tag (UMD)
REACT=18.3.1    # React 19 ships no UMD build; GraphiQL 4 accepts React 18

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)

unpack() {  # unpack ARCHIVE FILE TARGET
  tar -xzf "$work/$1" -C "$work" "package/$2"
  mv "$work/package/$2" "$3"
  rm -rf "$work/package"
}
unpack "graphiql-$GRAPHIQL.tgz" graphiql.min.js graphiql.min.js
unpack "graphiql-$GRAPHIQL.tgz" graphiql.min.css graphiql.min.css
unpack "graphiql-$GRAPHIQL.tgz" LICENSE LICENSE.graphiql
unpack "react-$REACT.tgz" umd/react.production.min.js react.production.min.js
unpack "react-$REACT.tgz" LICENSE LICENSE.react
unpack "react-dom-$REACT.tgz" umd/react-dom.production.min.js react-dom.production.min.js
unpack "react-dom-$REACT.tgz" LICENSE LICENSE.react-dom
sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
