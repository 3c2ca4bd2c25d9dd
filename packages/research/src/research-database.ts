/** The research database's name: RESEARCH_DATABASE, or <CLICKHOUSE_DATABASE>_research when empty. */
export function researchDatabaseOf(c: { RESEARCH_DATABASE?: string; CLICKHOUSE_DATABASE: string }): string {
  const name = c.RESEARCH_DATABASE ?? '';
  if (name !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`RESEARCH_DATABASE: not a plain database name: ${JSON.stringify(name)}`);
  }
  return name === '' ? `${c.CLICKHOUSE_DATABASE}_research` : name;
}
