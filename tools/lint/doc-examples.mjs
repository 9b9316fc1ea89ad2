// Writes every workflow example of the docs (a ```yaml block with top-level
// `workflow:` and `steps:` keys) to OUT_DIR/valid/<doc>-line<N>.yaml, for `ajv
// validate`; examples that start with "# broken on purpose" go to OUT_DIR/invalid/
// (the schema must refuse them).
//   node doc-examples.mjs OUT_DIR FILE.md...
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const [outDir, ...docs] = process.argv.slice(2);
if (!outDir || docs.length === 0) {
  console.error("usage: node doc-examples.mjs OUT_DIR FILE.md...");
  process.exit(2);
}
mkdirSync(`${outDir}/valid`, { recursive: true });
mkdirSync(`${outDir}/invalid`, { recursive: true });
const written = { valid: 0, invalid: 0 };
for (const doc of docs) {
  const lines = readFileSync(doc, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```ya?ml\s*$/.test(lines[i])) continue;
    const indent = lines[i].match(/^\s*/)[0].length;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    const block = lines.slice(start, end).map((l) => l.slice(indent)).join("\n") + "\n";
    i = end;
    if (!/^workflow:/m.test(block) || !/^steps:/m.test(block)) continue;
    const kind = block.startsWith("# broken on purpose") ? "invalid" : "valid";
    const name = `${basename(doc, ".md")}-line${start + 1}.yaml`;
    writeFileSync(`${outDir}/${kind}/${name}`, block);
    written[kind]++;
  }
}
console.log(
  `${written.valid} workflow examples (and ${written.invalid} broken on purpose) ` +
    `from ${docs.length} docs written to ${outDir}`,
);
