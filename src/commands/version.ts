import type { Command } from 'commander';
import { parseOutputFormat, writeStdout } from '../util/output.js';
import { clientVersion } from '../util/version.js';

export function register(program: Command): void {
  program
    .command('version')
    .description('Print the mesh client version')
    .option('-o, --output <format>', 'output format: short|json|yaml', 'short')
    .action(async (opts: { output: string }) => {
      const format = parseOutputFormat(opts.output, ['short', 'json', 'yaml'] as const, 'short');
      const info = {
        clientVersion: {
          version: clientVersion(),
          nodeVersion: process.version,
          platform: `${process.platform}/${process.arch}`,
        },
      };
      if (format === 'short') await writeStdout(`client version: ${info.clientVersion.version}`);
      else if (format === 'json') await writeStdout(JSON.stringify(info, null, 2));
      else {
        const { stringify } = await import('yaml');
        await writeStdout(stringify(info));
      }
    });
}
