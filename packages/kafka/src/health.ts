import type { Kafka } from 'kafkajs';

/** True when a broker answers a metadata request within the timeout. */
export async function kafkaHealth(kafka: Kafka, timeoutMs = 3_000): Promise<boolean> {
  // No retries: a health check answers now; the caller decides whether to ask again.
  const admin = kafka.admin({ retry: { retries: 0 } });
  const check = (async () => {
    await admin.connect();
    try {
      await admin.describeCluster();
      return true;
    } finally {
      await admin.disconnect();
    }
  })();
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  try {
    return await Promise.race([check, timeout]);
  } catch {
    return false;
  } finally {
    void check.catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
