export interface EnvExampleEntry {
  name: string;
  value: string;
  /** The comment line right above the assignment. */
  comment: string | undefined;
  /** The group heading (`# === router ===` → `router`) the variable sits under. */
  group: string | undefined;
}

const GROUP_HEADING = /^# ={3,} ([\w-]+).*={3,}$/;

/** Reads .env.example: `# === group ===` headings, then `# comment` + `NAME=value` pairs. */
export function parseEnvExample(text: string): EnvExampleEntry[] {
  const entries: EnvExampleEntry[] = [];
  let group: string | undefined;
  let previous: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const heading = GROUP_HEADING.exec(line);
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (heading) group = heading[1];
    else if (assignment) {
      const comment = previous?.startsWith('#') && !GROUP_HEADING.test(previous) ? previous.replace(/^#\s*/, '') : undefined;
      entries.push({ name: assignment[1] ?? '', value: assignment[2] ?? '', comment, group });
    }
    previous = line;
  }
  return entries;
}
