#!/usr/bin/env node
// The signwarden command: `signwarden run` starts the operator. Problems with the command line or
// the environment end the process with one line on stderr and exit code 2, never a stack trace.
import { parseRunConfig, runSettings } from '../config/run-config.ts';
import { SettingError, helpText } from '../config/settings.ts';
import { KubeConfigError } from '../kube/kube-config.ts';
import { run } from '../operator/run.ts';
import { VERIFY_BUNDLE_USAGE, verifyBundleCommand } from './verify-bundle.ts';

const USAGE = `Usage: signwarden <command> [flags]

Commands:
  run            Run the operator.
  verify-bundle  Verify a Sigstore bundle offline:
                 ${VERIFY_BUNDLE_USAGE}

Flags of run (each may also be set through its environment variable):
${helpText(runSettings)}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(parseRunConfig(rest, process.env));
    case 'verify-bundle':
      return verifyBundleCommand(rest, {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      });
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new SettingError(
        command === undefined
          ? 'no command given (try: signwarden help)'
          : `unknown command ${JSON.stringify(command)} (try: signwarden help)`,
      );
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof SettingError || error instanceof KubeConfigError) {
      process.stderr.write(`signwarden: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`signwarden: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
