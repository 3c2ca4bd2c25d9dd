const { createClickHouse } = require('@edusage/clickhouse');
const lic = require('/work/main/packages/licenses/dist');
(async () => {
  const ch = createClickHouse({CLICKHOUSE_URL:'http://127.0.0.1:8123',CLICKHOUSE_USER:'default',CLICKHOUSE_PASSWORD:''}, 'edusage_bench_year');
  const orig = ch.query.bind(ch);
  let t0 = Date.now();
  ch.query = async (a) => { const t=Date.now(); const res = await orig(a); const j = await res.json(); console.log(t - t0, '+', Date.now()-t, 'ms', a.query.replace(/\s+/g,' ').slice(0, +process.env.W || 90)); return { json: async () => j }; };
  for (let i = 0; i < 2; i++) {
    t0 = Date.now();
    const r = await lic.licenseTableFor(ch, 'bench', '30d', '2026-04-24');
    console.log('license table', Date.now() - t0, r.licenses.length);
  }
  await ch.close();
})();
