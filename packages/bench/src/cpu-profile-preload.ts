/**
 * Preloaded into a service (NODE_OPTIONS=--require …, because this Node refuses --cpu-prof in
 * NODE_OPTIONS) when the benchmark runs with --profile: samples the CPU with the inspector's profiler
 * from start-up and writes `<BENCH_CPU_PROFILE_DIR>/CPU.<pid>.cpuprofile` when the process exits.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // A same-thread inspector session answers synchronously, so this works inside the 'exit' handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err || !result) return;
      writeFileSync(path.join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
