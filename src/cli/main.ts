#!/usr/bin/env node
// The signwarden command: `signwarden run` starts the operator. Problems with the command line or
// the environment end the process with one line on stderr and exit code 2, never a stack trace.
import { parseRunConfig, runSettings } from '../config/run-config.ts';
import { SettingError, helpText } from '../config/settings.ts';
import { KubeConfigError } from '../kube/kube-config.ts';
import { run } from '../operator/run.ts';
import { INSPECT_USAGE, inspectCommand } from './inspect.ts';
import { renderPolicyCommand, renderPolicySettings } from './render-policy.ts';
import { VERIFY_BUNDLE_USAGE, verifyBundleCommand } from './verify-bundle.ts';

const USAGE = `Usage: signwarden <command> [flags]

Commands:
  run            Run the operator.
  inspect        Report who signed one image (exit code: 0 signed, 3 unsigned, 4 unverifiable,
                 5 invalid, 6 checking, 2 usage, 1 error); see docs/cli.md:
                 ${INSPECT_USAGE}
  verify-bundle  Verify a Sigstore bundle offline:
                 ${VERIFY_BUNDLE_USAGE}
  render-policy  Print the generated admission policy and its bindings as YAML.

Flags of run (each may also be set through its environment variable):
${helpText(runSettings)}

Flags of render-policy:
${helpText(renderPolicySettings)}
`;

const io = {
  stdout: (s: string) => process.stdout.write(s),
  stderr: (s: string) => process.stderr.write(s),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(parseRunConfig(rest, process.env));
    case 'inspect':
      return inspectCommand(rest, io);
    case 'verify-bundle':
      return verifyBundleCommand(rest, io);
    case 'render-policy':
      return renderPolicyCommand(rest, io);
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
