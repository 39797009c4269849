// Copies uPlot's browser build, stylesheet and licence from node_modules
// into internal/web/assets/vendor/, where Go embeds them. Run through
// `make assets` (npm ci first); the copied files are committed so that
// `go build` never needs npm.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "node_modules", "uplot");
const dst = join(here, "..", "internal", "web", "assets", "vendor");
const version = JSON.parse(readFileSync(join(src, "package.json"), "utf8")).version;

mkdirSync(dst, { recursive: true });
for (const [from, to] of [
	["dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
	["dist/uPlot.min.css", "uPlot.min.css"],
	["LICENSE", "uPlot.LICENSE"],
]) {
	copyFileSync(join(src, from), join(dst, to));
	console.log(`uPlot ${version}: ${from} -> internal/web/assets/vendor/${to}`);
}
