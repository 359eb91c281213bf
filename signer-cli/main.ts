#!/usr/bin/env node
/**
 * conclave-signer: the keyholder's program (DESIGN.md, signer-cli). This entry only parses
 * arguments and dispatches to commands/<name>.ts; errors from every command meet in one place,
 * which prints them (`error CODE: message` and what to do next, or a JSON object with --json)
 * and maps their class to the exit code (exit-codes.ts).
 */
import { Command, CommanderError, Option } from 'commander';
import { ConclaveError } from '../protocol/errors';
import { NETWORK_NAMES } from '../protocol/network';
import { runAddresses } from './commands/addresses';
import { runApprove } from './commands/approve';
import { runAuditVerify } from './commands/audit-verify';
import { runDeposit } from './commands/deposit';
import { runFrostJoin } from './commands/frost-join';
import { runFrostOpen, type FrostOpenOptions } from './commands/frost-open';
import { runGovernanceApprove } from './commands/governance-approve';
import { runGovernanceList } from './commands/governance-list';
import { runGovernancePropose, type GovernanceProposeOptions } from './commands/governance-propose';
import { runGovernanceSync } from './commands/governance-sync';
import { runInit } from './commands/init';
import { runJoin } from './commands/join';
import { runListen } from './commands/listen';
import { runMembers } from './commands/members';
import { runOfflineExport, type OfflineExportOptions } from './commands/offline-export';
import { runOfflineImportPsbt } from './commands/offline-import-psbt';
import { runOfflineSign, type OfflineSignOptions } from './commands/offline-sign';
import { runOfflineSubmit } from './commands/offline-submit';
import { runPolicyShow } from './commands/policy-show';
import { DEFAULT_MAX_FEE_SATS, runPropose } from './commands/propose';
import { runSetupConfirm } from './commands/setup-confirm';
import { runSetupExport } from './commands/setup-export';
import { runSetupExportKey } from './commands/setup-export-key';
import { runSetupFinish } from './commands/setup-finish';
import { runSetupImportKey } from './commands/setup-import-key';
import { runSetupJoin } from './commands/setup-join';
import { runSetupOpen, type SetupOpenOptions } from './commands/setup-open';
import { runPasskeyLink, type PasskeyLinkOptions } from './commands/passkey-link';
import { runTokenCreate, type TokenCreateOptions, runTokenList, runTokenRevoke } from './commands/token';
import { runVaultCreate, type VaultCreateOptions } from './commands/vault-create';
import { DEFAULT_EXPORT_RANGE, EXPORT_FORMATS, runVaultExport, type VaultExportOptions } from './commands/vault-export';
import { runVaultList } from './commands/vault-list';
import { runVaultPin } from './commands/vault-pin';
import { runWhoami } from './commands/whoami';
import { runWithdrawalBump } from './commands/withdrawal-bump';
import { runWithdrawalCancel } from './commands/withdrawal-cancel';
import { runWithdrawalRebroadcast } from './commands/withdrawal-rebroadcast';
import { runWithdrawalShow } from './commands/withdrawal-show';
import { runWithdrawalTx } from './commands/withdrawal-tx';
import { CliContext, type GlobalOptions } from './context';
import { EXIT, exitCodeFor, hintFor, type ExitCode } from './exit-codes';
import { CHANGE_OPS } from './governance/build-change';
import { toJsonLine, type CommandResult } from './output';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function buildProgram(): Command {
  const program = new Command('conclave-signer')
    .description('Conclave keyholder: encrypted keystore, vault pinning, verify-then-sign withdrawals')
    .option('--home <dir>', 'signer home with keystore.json and state.json (default $CONCLAVE_HOME or ~/.conclave)')
    .option('--json', 'print one JSON object (listen: one JSON line per event)')
    .option('--passphrase-file <file>', 'read the keystore passphrase from the first line of this file (else $CONCLAVE_PASSPHRASE, else a prompt)')
    .option('--coordinator <url>', 'coordinator URL (default: the one saved by join)')
    .exitOverride();

  // Each action builds the context from the merged global and command options and runs one command.
  const action = <A extends unknown[]>(run: (ctx: CliContext, ...args: A) => Promise<CommandResult>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
      const result = await run(ctx, ...(args.slice(0, -1) as A));
      ctx.out.result(result);
    };

  program.command('init')
    .description('create the encrypted keystore: 24-word BIP39 seed, BIP48 account key, identity key')
    .addOption(new Option('--network <name>', 'bitcoin network').choices(NETWORK_NAMES).default('regtest'))
    .option('--mnemonic-file <file>', 'restore from the BIP39 mnemonic in this file')
    .option('--show-mnemonic', 'print the recovery words once, for a paper backup')
    .action(action((ctx, o: { network: string; mnemonicFile?: string; showMnemonic?: boolean }) => runInit(ctx, o)));

  program.command('whoami')
    .description('identity fingerprint, identity key and account key of this signer')
    .action(action((ctx) => runWhoami(ctx)));

  program.command('join')
    .description('register with a coordinator (saves its URL); needs --coordinator the first time')
    .requiredOption('--name <name>', 'your name as other members will see it')
    .action(action((ctx, o: { name: string }) => runJoin(ctx, o)));

  program.command('members')
    .description("the coordinator's members, fingerprints computed locally")
    .action(action((ctx) => runMembers(ctx)));

  const vault = program.command('vault').description('create, pin and list vaults');
  vault.command('create')
    .description('build a wsh(sortedmulti) descriptor from members\' account keys and propose the vault')
    .requiredOption('--name <name>', 'vault name')
    .requiredOption('--threshold <m>', 'signatures required')
    .requiredOption('--member <identityKey|name>', 'a keyholder, repeat in descriptor order', collect)
    .option('--approvals <n>', 'simple policy: approvals required from keyholders other than the proposer before signing (default 0)')
    .option('--max-fee <sats>', 'simple policy: highest absolute fee of any withdrawal, in sat (default 1000000)')
    .option('--max-fee-rate <sat/vB>', 'simple policy: highest fee rate of any withdrawal (default 500)')
    .option('--policy-file <file>', 'governed policy instead: JSON { rules, members: [{ identityKey, name, groups, passkeys? }] }; every keyholder in group "keyholders", nobody else')
    .action(action((ctx, o: VaultCreateOptions) => runVaultCreate(ctx, o)));
  vault.command('pin <vaultId>')
    .description('check a vault yourself, show what to compare out of band, pin it and confirm it')
    .option('--yes', 'pin without asking (after comparing out of band)')
    .action(action((ctx, vaultId: string, o: { yes?: boolean }) => runVaultPin(ctx, vaultId, o)));
  vault.command('list')
    .description('vaults pinned by this signer')
    .action(action((ctx) => runVaultList(ctx)));
  vault.command('export <vaultId>')
    .description('the pinned vault for another wallet: Bitcoin Core importdescriptors, Sparrow descriptor, Caravan config (multisig) or BIP329 labels')
    .addOption(new Option('--format <format>', 'export format').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--out <file>', 'write to this file (0600) instead of stdout')
    .option('--range <n>', 'last address index: core import range, bip329 labels for 0..n on both chains', DEFAULT_EXPORT_RANGE)
    .action(action((ctx, vaultId: string, o: VaultExportOptions) => runVaultExport(ctx, vaultId, o)));

  const setup = program.command('setup').description('set up a vault by BIP129 (BSMS 1.0): your signer coordinates, the coordinator only relays sealed records');
  setup.command('open')
    .description('open a setup: make the token(s) to share out of band, announce M-of-N, send your own key record')
    .requiredOption('--name <name>', 'vault name')
    .requiredOption('--threshold <m>', 'signatures required')
    .requiredOption('--keyholders <n>', 'number of keyholders, you included')
    .addOption(new Option('--mode <mode>', 'BIP129 encryption: one token for all, one per keyholder, or none').choices(['none', 'standard', 'extended']).default('standard'))
    .option('--expires-in <hours>', 'session lifetime in hours, at most 168', '24')
    .option('--approvals <n>', 'simple policy: approvals required from keyholders other than the proposer before signing (default 0)')
    .option('--max-fee <sats>', 'simple policy: highest absolute fee of any withdrawal, in sat (default 1000000)')
    .option('--max-fee-rate <sat/vB>', 'simple policy: highest fee rate of any withdrawal (default 500)')
    .option('--policy-file <file>', 'governed policy instead: JSON { rules, members: [{ identityKey, name, groups, passkeys? }] }; every keyholder in group "keyholders", nobody else')
    .option('--description <text>', 'DESCRIPTION line of your key record (default: your identity fingerprint)')
    .action(action((ctx, o: SetupOpenOptions) => runSetupOpen(ctx, o)));
  setup.command('join <setupId>')
    .description('send your key record (KEY, DESCRIPTION, SIG), sealed with the token you were given out of band')
    .requiredOption('--token <token>', 'the token: hex, or the six words of a STANDARD token')
    .option('--description <text>', 'DESCRIPTION line of your key record (default: your identity fingerprint)')
    .action(action((ctx, setupId: string, o: { token: string; description?: string }) => runSetupJoin(ctx, setupId, o)));
  setup.command('finish <setupId>')
    .description('opener: open and check every key record, send the descriptor record and propose the vault')
    .action(action((ctx, setupId: string) => runSetupFinish(ctx, setupId)));
  setup.command('confirm <setupId>')
    .description('check the descriptor record (own key, paths, first address), then pin and confirm the vault')
    .option('--yes', 'pin without asking (after comparing out of band)')
    .option('--token <token>', 'your token, if you did not "setup join" (your key record went by file through "setup import-key")')
    .action(action((ctx, setupId: string, o: { yes?: boolean; token?: string }) => runSetupConfirm(ctx, setupId, o)));
  setup.command('export-key')
    .description('write your key record to a .bsms file (.dat content when encrypted) for another wallet\'s setup')
    .requiredOption('--out <file>', 'file to write')
    .option('--token <token>', 'that setup\'s token (default 00: no encryption)')
    .option('--description <text>', 'DESCRIPTION line (default: your identity fingerprint)')
    .action(action((ctx, o: { out: string; token?: string; description?: string }) => runSetupExportKey(ctx, o)));
  setup.command('import-key <setupId>')
    .description('opener: bring in a member\'s key record made by another wallet (SIG verified when present)')
    .requiredOption('--file <file>', '.bsms or .dat file')
    .requiredOption('--member <name|identityKey>', 'the member whose registered account key it must be')
    .action(action((ctx, setupId: string, o: { file: string; member: string }) => runSetupImportKey(ctx, setupId, o)));
  setup.command('export <setupId>')
    .description('write the confirmed descriptor record to a .bsms file for another wallet')
    .requiredOption('--out <file>', 'file to write')
    .action(action((ctx, setupId: string, o: { out: string }) => runSetupExport(ctx, setupId, o)));

  const frost = program.command('frost').description('FROST Taproot vaults: distributed key generation through the coordinator, which never sees a share');
  frost.command('open')
    .description('propose a FROST key generation for a new vault, sign it, and take part in it')
    .requiredOption('--name <name>', 'vault name')
    .requiredOption('--threshold <t>', 'signers required')
    .requiredOption('--members <list>', 'participants, comma-separated identity keys or member names, in order; you included')
    .option('--approvals <n>', 'simple policy: approvals required from keyholders other than the proposer before signing (default 0)')
    .option('--max-fee <sats>', 'simple policy: highest absolute fee of any withdrawal, in sat (default 1000000)')
    .option('--max-fee-rate <sat/vB>', 'simple policy: highest fee rate of any withdrawal (default 500)')
    .option('--policy-file <file>', 'governed policy instead: JSON { rules, members: [{ identityKey, name, groups, passkeys? }] }; every keyholder in group "keyholders", nobody else')
    .option('--expires-in <hours>', 'deadline for every participant to finish, in hours, at most 168', '24')
    .option('--yes', 'take part without asking (after comparing the fingerprints out of band)')
    .option('--no-wait', 'return once your round-1 commitment is sent; continue with "frost join <setupId>"')
    .action(action((ctx, o: FrostOpenOptions) => runFrostOpen(ctx, o)));
  frost.command('join <setupId>')
    .description('check a FROST setup, show what to compare out of band, run the key generation to the end and pin the vault; resumes after a crash')
    .option('--yes', 'take part without asking (after comparing the fingerprints out of band)')
    .action(action((ctx, setupId: string, o: { yes?: boolean }) => runFrostJoin(ctx, setupId, o)));

  program.command('addresses <vaultId>')
    .description('vault addresses derived locally and checked against the coordinator')
    .option('--change', 'the change chain instead of the receive chain')
    .option('--from <index>', 'first index', '0')
    .option('--count <n>', 'how many', '20')
    .action(action((ctx, vaultId: string, o: { change?: boolean; from: string; count: string }) => runAddresses(ctx, vaultId, o)));

  program.command('deposit <vaultId>')
    .description('register a funding transaction (offline mode)')
    .option('--tx <hex>', 'raw transaction hex')
    .option('--tx-file <file>', 'file holding the raw transaction hex')
    .action(action((ctx, vaultId: string, o: { tx?: string; txFile?: string }) => runDeposit(ctx, vaultId, o)));

  program.command('propose <vaultId>')
    .description('sign and submit a withdrawal intent')
    .requiredOption('--to <address>', 'destination, repeatable (pairs with --amount in order)', collect)
    .requiredOption('--amount <sats>', 'amount in satoshis, repeatable', collect)
    .option('--fee-rate <sat/vB>', 'fee rate, e.g. 2 or 0.5 (default: the coordinator\'s "normal" estimate, 6 blocks)')
    .option('--max-fee <sats>', 'absolute fee cap', DEFAULT_MAX_FEE_SATS)
    .option('--memo <text>', 'note for the approvers', '')
    .option('--request-id <id>', 'idempotency key (default: random)')
    .option('--expires-in <minutes>', 'intent lifetime (default 1440)')
    .option('--expires-at <iso>', 'exact expiry, so a retried command signs the same intent')
    .action(action((ctx, vaultId: string, o: Parameters<typeof runPropose>[2]) => runPropose(ctx, vaultId, o)));

  program.command('approve <withdrawalId>')
    .description('verify a withdrawal that awaits approvals against your pinned vault and policy, and approve it')
    .option('--yes', 'approve without asking if it passes verification')
    .action(action((ctx, id: string, o: { yes?: boolean }) => runApprove(ctx, id, o)));

  const withdrawal = program.command('withdrawal').description('inspect withdrawals');
  withdrawal.command('show <withdrawalId>')
    .description('state, signatures and this signer\'s verdict')
    .action(action((ctx, id: string) => runWithdrawalShow(ctx, id)));
  withdrawal.command('cancel <withdrawalId>')
    .description('stop a withdrawal nobody has signed yet; its coins become available again')
    .option('--reason <text>', 'why, for the audit log', '')
    .action(action((ctx, id: string, o: { reason?: string }) => runWithdrawalCancel(ctx, id, o)));
  withdrawal.command('bump <withdrawalId>')
    .description('fee bump (RBF) a signed withdrawal: the same coins and outputs at a higher fee rate, approved and signed again')
    .requiredOption('--fee-rate <sat/vB>', 'the new fee rate, above the current one')
    .option('--max-fee <sats>', 'new absolute fee cap (default: the current intent\'s)')
    .option('--expires-in <minutes>', 'how long the replacement may be acted on', '1440')
    .action(action((ctx, id: string, o: { feeRate: string; maxFee?: string; expiresIn?: string }) => runWithdrawalBump(ctx, id, o)));
  withdrawal.command('rebroadcast <withdrawalId>')
    .description('send again a signed withdrawal whose transaction the coordinator\'s node refused (signed retry, recorded in the audit log)')
    .action(action((ctx, id: string) => runWithdrawalRebroadcast(ctx, id)));
  withdrawal.command('tx <withdrawalId>')
    .description('the final transaction hex, for broadcast elsewhere')
    .option('--out <file>', 'write the hex to this file')
    .action(action((ctx, id: string, o: { out?: string }) => runWithdrawalTx(ctx, id, o)));

  const policy = program.command('policy').description("a governed vault's pinned policy");
  policy.command('show <vaultId>')
    .description('the policy this signer pinned: tiers, velocity, address book by its own clock, members with fingerprints, part hashes, applied changes')
    .action(action((ctx, vaultId: string) => runPolicyShow(ctx, vaultId)));

  const governance = program.command('governance').description('change a governed vault\'s rules, members or address book by quorum; each signer pins a change itself');
  governance.command('propose <vaultId>')
    .description('sign and propose a change made for your pinned policy (shown first, with the quorum and delay it needs)')
    .addOption(new Option('--op <op>', 'what to change').choices(CHANGE_OPS).makeOptionMandatory())
    .option('--address <address>', 'address-book.add/remove: the destination address')
    .option('--label <text>', 'address-book.add: its label', '')
    .option('--policy-file <file>', 'policy.replace: the new rule set (or a policy file { rules, members }); its version is set to the pinned one plus one')
    .option('--member-file <file>', 'member.add: the member as JSON { identityKey, name, groups, passkeys? }')
    .option('--identity-key <key|name>', 'member.*: the member (identity key, or pinned name); member.add: the new key')
    .option('--name <name>', 'member.add: the new member\'s name')
    .option('--groups <a,b>', 'member.add, member.set-groups: comma-separated groups')
    .option('--new-identity-key <key>', 'member.replace-credentials: the replacement identity key')
    .option('--passkey-file <file>', 'member.replace-credentials: the replacement passkeys as JSON [{ credentialId, publicKey }]')
    .option('--add-passkey-file <file>', 'member.replace-credentials: passkeys to add to the ones pinned (the passkey.json the enrolment page gives)')
    .option('--reason <text>', 'why, for the approvers and the audit log', '')
    .option('--yes', 'propose without asking')
    .action(action((ctx, vaultId: string, o: GovernanceProposeOptions) => runGovernancePropose(ctx, vaultId, o)));
  governance.command('list <vaultId>')
    .description('the vault\'s changes, each judged by this signer against its pinned policy and clock')
    .option('--all', 'also the changes this signer applied')
    .action(action((ctx, vaultId: string, o: { all?: boolean }) => runGovernanceList(ctx, vaultId, o)));
  governance.command('approve <vaultId> <changeId>')
    .description('review a change against your pinned policy and approve it')
    .option('--yes', 'approve without asking if this signer finds nothing wrong with it')
    .action(action((ctx, vaultId: string, changeId: string, o: { yes?: boolean }) => runGovernanceApprove(ctx, vaultId, changeId, o)));
  governance.command('sync <vaultId>')
    .description('pin every change whose quorum and delay your signer accepts now; report what is pending or refused')
    .action(action((ctx, vaultId: string) => runGovernanceSync(ctx, vaultId)));

  const passkey = program.command('passkey').description('passkeys for the web app: registered in a browser, counted once a quorum pins them');
  passkey.command('link')
    .description('a one-use link (10 minutes) that lets a browser register a passkey for you; prints the next step')
    .option('--web-url <url>', 'where browsers open the web app (default: the coordinator\'s CONCLAVE_WEBAUTHN_ORIGIN)')
    .option('--qr', 'also draw the link as a QR code, for registering on a phone')
    .action(action((ctx, o: PasskeyLinkOptions) => runPasskeyLink(ctx, o)));

  const token = program.command('token').description('API tokens for automation: read, or propose withdrawals as you (never approve or sign)');
  token.command('create')
    .description('make a token secret here, grant it with your signature, and print it once')
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(new Option('--scope <scope>', 'what it may do').choices(['read', 'propose']).makeOptionMandatory())
    .option('--days <n>', 'how long it lives (at most 90)', '30')
    .action(action((ctx, o: TokenCreateOptions) => runTokenCreate(ctx, o)));
  token.command('list')
    .description('your API tokens (never their secrets)')
    .action(action((ctx) => runTokenList(ctx)));
  token.command('revoke <tokenId>')
    .description('end an API token at once (yours, or any as an admin)')
    .action(action((ctx, id: string) => runTokenRevoke(ctx, id)));

  const audit = program.command('audit').description("check the coordinator's audit log");
  audit.command('verify')
    .description('verify the whole log: hash chain, coordinator signatures (pinned key), evidence, and the heads seen before')
    .action(action((ctx) => runAuditVerify(ctx)));

  const offline = program.command('offline').description('sign on a machine that is never online: requests and answers travel by file or animated QR (BC-UR)');
  offline.command('export <withdrawalId>')
    .description('online side: write the signing-request bundle an offline signer verifies and signs')
    .option('--out <file>', 'write the bundle (JSON) to this file')
    .option('--ur-out <file>', 'also write it as BC-UR parts, one per line')
    .option('--qr', 'show it as an animated QR code (BC-UR) in the terminal')
    .action(action((ctx, id: string, o: OfflineExportOptions) => runOfflineExport(ctx, id, o)));
  offline.command('sign <bundleFile>')
    .description('offline side: check the bundle, verify it like "listen" does, confirm, journal, sign, and write the answer; never contacts a coordinator')
    .option('--out <file>', 'write the answer (JSON) to this file')
    .option('--ur-out <file>', 'also write the answer as BC-UR parts, one per line')
    .option('--qr', 'show the answer as an animated QR code (BC-UR) in the terminal')
    .option('--yes', 'sign without asking if the bundle passes verification')
    .action(action((ctx, file: string, o: OfflineSignOptions) => runOfflineSign(ctx, file, o)));
  offline.command('submit <responseFile>')
    .description('online side: post an offline signer\'s signed answer to the coordinator')
    .action(action((ctx, file: string) => runOfflineSubmit(ctx, file)));
  offline.command('import-psbt <withdrawalId> <psbtFile>')
    .description('online side: submit, as yours, the signatures of this withdrawal\'s PSBT signed in another wallet with your key')
    .option('--yes', 'submit without asking if the withdrawal passes verification')
    .action(action((ctx, id: string, file: string, o: { yes?: boolean }) => runOfflineImportPsbt(ctx, id, file, o)));

  program.command('listen')
    .description('wait for signing requests; verify, confirm, journal, sign, submit; keep the signed audit heads pushed')
    .option('--yes', 'sign every request that passes verification without asking')
    .option('--exit-after <n>', 'exit after signing n withdrawals')
    .option('--vault <vaultId>', 'only this pinned vault')
    .action(action((ctx, o: { yes?: boolean; exitAfter?: string; vault?: string }) => runListen(ctx, o)));

  for (const command of [program, ...allSubcommands(program)]) {
    command.exitOverride().configureOutput({ outputError: () => undefined });
  }
  return program;
}

function allSubcommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allSubcommands(c)]);
}

/** The one exit point: prints the error and returns the exit code of its class. */
function report(error: unknown, json: boolean): ExitCode {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return EXIT.ok; // --help, --version
    printError(json, 'VALIDATION_FAILED', error.message.replace(/^error: /, ''), 'run with --help', undefined);
    return EXIT.usage;
  }
  if (error instanceof ConclaveError) {
    printError(json, error.code, error.message, hintFor(error.code), error.details);
    return exitCodeFor(error.code);
  }
  const message = error instanceof Error ? error.message : String(error);
  printError(json, 'INTERNAL', `unexpected failure: ${message}`, 'this is a bug; please report it', undefined);
  if (process.env.CONCLAVE_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT.unexpected;
}

function printError(json: boolean, code: string, message: string, hint: string | undefined, details: Record<string, unknown> | undefined): void {
  if (json) {
    process.stdout.write(`${toJsonLine({ error: { code, message, ...(details ? { details } : {}), ...(hint ? { hint } : {}) } })}\n`);
  } else {
    process.stderr.write(`error ${code}: ${message}\n${hint ? `  next: ${hint}\n` : ''}`);
  }
}

export async function main(argv: string[]): Promise<ExitCode> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    return report(error, argv.includes('--json'));
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
    // Nothing should be left running; if a socket lingers, do not hang a script waiting on us.
    setTimeout(() => process.exit(code), 200).unref();
  });
}
