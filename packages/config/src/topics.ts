/** The three Kafka topics of the event path (see docs/ARCHITECTURE.md). */
export interface TopicNames {
  raw: string;
  enriched: string;
  dlq: string;
}

export function topicNames(prefix = ''): TopicNames {
  return {
    raw: `${prefix}usage.raw`,
    enriched: `${prefix}usage.enriched`,
    dlq: `${prefix}usage.dlq`,
  };
}
