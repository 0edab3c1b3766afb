#!/usr/bin/env bash
# Copies the Swagger UI assets pinned in tools/docs/package-lock.json into
# api/docs/, where the binary embeds them (the copies there are what GET /docs
# serves; node_modules is never read at build or run time).
#
# To move to another Swagger UI version:
#   cd tools/docs && npm install --package-lock-only --ignore-scripts swagger-ui-dist@X.Y.Z
#   tools/docs/update.sh
# then run the browser test (scripts/test.sh ./api/...), and refresh the
# screenshot with SHOP_UPDATE_SCREENSHOT=1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="$HERE/../../api/docs"
cd "$HERE"

# --ignore-scripts: swagger-ui-dist's dependency @scarf/scarf would otherwise
# report the install to its authors.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

SRC="$HERE/node_modules/swagger-ui-dist"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do
	cp "$SRC/$f" "$DEST/$f"
done
printf 'swagger-ui-dist %s\n' "$(node -p 'require("./node_modules/swagger-ui-dist/package.json").version')" >"$DEST/VERSION"
echo "api/docs: $(cat "$DEST/VERSION")"
