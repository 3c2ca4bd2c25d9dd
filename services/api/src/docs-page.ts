/** A self-contained HTML page (no scripts, no CDN) describing the OpenAPI document's operations. */
type Json = Record<string, unknown>;

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function typeOf(schema: Json | undefined): string {
  if (!schema) return '';
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map(String).join(' | ');
  const parts = [schema.type, schema.format, schema.pattern ? `pattern ${String(schema.pattern)}` : ''].filter(Boolean);
  return parts.join(', ');
}

export function docsPage(doc: Json): string {
  const info = doc.info as Json;
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const sections: string[] = [];
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters as Json[]).map(
        (p) =>
          `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td>${esc(typeOf(p.schema as Json))}</td><td>${esc(p.description ?? '')}</td></tr>`,
      );
      sections.push(`<section><h3><code>${esc(method.toUpperCase())} ${esc(path)}</code></h3>
<p>${esc(op.summary)}</p><p>${esc(op.description)}</p>
${params.length ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th></th></tr>${params.join('')}</table>` : '<p>No parameters.</p>'}
<p>Answers: ${Object.keys(op.responses as Json)
        .map(esc)
        .join(', ')}</p></section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}code{background:#f4f4f4}</style>
</head><body><h1>${esc(info.title)}</h1><p>${esc(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Lists also as CSV: <code>?format=csv</code> or <code>Accept: text/csv</code>; the <code>Edusage-Meta</code> header then carries the JSON answer's other fields.</p>
${sections.join('\n')}</body></html>`;
}
