// vitest globalSetup for the real-cluster suite: one etcd + kube-apiserver, with kube-scheduler and a
// kwok node for pods, for all e2e test files.
// Tests read the connection details with `inject('testbed')`.
import type { TestProject } from 'vitest/node';
import { startTestbed, type TestbedInfo } from './testbed.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testbed: TestbedInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const testbed = await startTestbed({ nodes: true });
  console.error(`[testbed] kube-apiserver ready at ${testbed.server} after ${testbed.startupMs} ms`);
  const { stop, cutApiServer: _cut, ...info } = testbed;
  project.provide('testbed', info);
  // Ctrl-C or a kill while tests run: stop the servers and remove the temp dir before exiting.
  const onSignal = (signal: NodeJS.Signals): void => {
    void stop().finally(() => process.kill(process.pid, signal));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return async () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stop();
  };
}
