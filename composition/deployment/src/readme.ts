export const PRODUCTION_TOPOLOGY_HEADING = '## Production topology (docker-compose)';

/** The markdown from `heading` up to the next heading of the same or a higher level. */
export function extractSection(markdown: string, heading: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start === -1) return undefined;
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && (/^#+/.exec(line)?.[0].length ?? 0) <= level);
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

/** The rows of the first markdown table in `markdown`, keyed by lower-cased header cell. */
export function parseTable(markdown: string): Record<string, string>[] {
  const rows = markdown
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('|'))
    .map((line) => line.replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim()));
  const [header, separator, ...body] = rows;
  if (!header || !separator?.every((cell) => /^:?-+:?$/.test(cell))) return [];
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name.toLowerCase(), cells[i] ?? ''])));
}

/** The text inside the first pair of backticks of a table cell, if any. */
export function codeIn(cell: string | undefined): string | undefined {
  return cell === undefined ? undefined : /`([^`]+)`/.exec(cell)?.[1];
}
