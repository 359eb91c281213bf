/** SQLite schema: generated from the entities by server/database/generate-migrations.ts. */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1763860000000 implements MigrationInterface {
  name = 'Initial1763860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      "CREATE TABLE \"audit_events\" (\"seq\" integer PRIMARY KEY NOT NULL, \"kind\" varchar(48) NOT NULL, \"actor\" varchar(64), \"subject\" varchar(36), \"payload\" text NOT NULL, \"evidence\" text, \"prev_hash\" varchar(64) NOT NULL, \"hash\" varchar(64) NOT NULL, \"coordinator_sig\" varchar(128) NOT NULL, \"created_at\" varchar(32) NOT NULL)",
      "CREATE TABLE \"audit_head\" (\"id\" integer PRIMARY KEY NOT NULL, \"seq\" integer NOT NULL, \"hash\" varchar(64) NOT NULL, \"coordinator_key\" varchar(64) NOT NULL)",
      "CREATE TABLE \"raw_transactions\" (\"txid\" varchar(64) PRIMARY KEY NOT NULL, \"hex\" text NOT NULL, \"created_at\" varchar(32) NOT NULL)",
      "CREATE TABLE \"utxos\" (\"txid\" varchar(64) NOT NULL, \"vout\" integer NOT NULL, \"vault_id\" varchar(36) NOT NULL, \"amount\" varchar(20) NOT NULL, \"address\" varchar(100) NOT NULL, \"change\" integer NOT NULL, \"idx\" integer NOT NULL, \"status\" varchar(16) NOT NULL, \"reserved_by\" varchar(36), \"created_at\" varchar(32) NOT NULL, PRIMARY KEY (\"txid\", \"vout\"))",
      "CREATE INDEX \"IDX_6651715731cad0e8e4439e7801\" ON \"utxos\" (\"vault_id\", \"status\") ",
      "CREATE TABLE \"frost_dkg_messages\" (\"setup_id\" varchar(32) NOT NULL, \"round\" varchar(8) NOT NULL, \"sender\" varchar(64) NOT NULL, \"recipient\" varchar(64) NOT NULL, \"sender_index\" integer NOT NULL, \"message\" text NOT NULL, \"created_at\" varchar(32) NOT NULL, PRIMARY KEY (\"setup_id\", \"round\", \"sender\", \"recipient\"))",
      "CREATE TABLE \"frost_setups\" (\"setup_id\" varchar(32) PRIMARY KEY NOT NULL, \"params\" text NOT NULL, \"params_hash\" varchar(64) NOT NULL, \"open_envelope\" text NOT NULL, \"state\" varchar(16) NOT NULL, \"expires_at\" varchar(32) NOT NULL, \"certificate\" text, \"vault_id\" varchar(36), \"abort_code\" varchar(64), \"abort_message\" text, \"created_at\" varchar(32) NOT NULL, \"updated_at\" varchar(32) NOT NULL)",
      "CREATE TABLE \"frost_commitments\" (\"withdrawal_id\" varchar(36) NOT NULL, \"identity_key\" varchar(64) NOT NULL, \"commitment_id\" varchar(32) NOT NULL, \"arrival\" integer NOT NULL, \"unsigned_txid\" varchar(64) NOT NULL, \"participant_index\" integer NOT NULL, \"envelope\" text NOT NULL, \"session_id\" varchar(36), \"created_at\" varchar(32) NOT NULL, PRIMARY KEY (\"withdrawal_id\", \"identity_key\", \"commitment_id\"))",
      "CREATE UNIQUE INDEX \"IDX_ca66485ce44d517d9a71b2205f\" ON \"frost_commitments\" (\"withdrawal_id\", \"arrival\") ",
      "CREATE TABLE \"frost_sessions\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"withdrawal_id\" varchar(36) NOT NULL, \"number\" integer NOT NULL, \"state\" varchar(16) NOT NULL, \"signers\" text NOT NULL, \"failure_code\" varchar(64), \"failure_message\" text, \"failure_identity_key\" varchar(64), \"created_at\" varchar(32) NOT NULL, \"updated_at\" varchar(32) NOT NULL)",
      "CREATE UNIQUE INDEX \"IDX_b9883bd27ba5ef4fa39449fb75\" ON \"frost_sessions\" (\"withdrawal_id\", \"number\") ",
      "CREATE TABLE \"frost_shares\" (\"session_id\" varchar(36) NOT NULL, \"identity_key\" varchar(64) NOT NULL, \"withdrawal_id\" varchar(36) NOT NULL, \"valid\" boolean NOT NULL, \"envelope\" text NOT NULL, \"created_at\" varchar(32) NOT NULL, PRIMARY KEY (\"session_id\", \"identity_key\"))",
      "CREATE TABLE \"members\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"name\" varchar(80) NOT NULL, \"identity_key\" varchar(64) NOT NULL, \"network\" varchar(16) NOT NULL, \"account_fingerprint\" varchar(8) NOT NULL, \"account_path\" varchar(64) NOT NULL, \"account_xpub\" varchar(120) NOT NULL, \"join_envelope\" text NOT NULL, \"created_at\" varchar(32) NOT NULL, CONSTRAINT \"UQ_ce578ea3d0ab66eb81bb0b07761\" UNIQUE (\"identity_key\"), CONSTRAINT \"UQ_5396dbdc1c35995acafd88eb0f8\" UNIQUE (\"account_xpub\"))",
      "CREATE TABLE \"used_nonces\" (\"id\" varchar(100) PRIMARY KEY NOT NULL, \"type\" varchar(32) NOT NULL, \"expires_at\" varchar(32) NOT NULL)",
      "CREATE TABLE \"setup_key_records\" (\"setup_id\" varchar(36) NOT NULL, \"member\" varchar(64) NOT NULL, \"position\" integer NOT NULL, \"submitted_by\" varchar(64) NOT NULL, \"record\" text NOT NULL, \"envelope\" text NOT NULL, \"created_at\" varchar(32) NOT NULL, CONSTRAINT \"UQ_2e02d433b507c1c3a933e292a53\" UNIQUE (\"setup_id\", \"position\"), PRIMARY KEY (\"setup_id\", \"member\"))",
      "CREATE TABLE \"setups\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"name\" varchar(80) NOT NULL, \"network\" varchar(16) NOT NULL, \"threshold\" integer NOT NULL, \"keyholders\" integer NOT NULL, \"mode\" varchar(16) NOT NULL, \"expires_at\" varchar(32) NOT NULL, \"opened_by\" varchar(64) NOT NULL, \"open_envelope\" text NOT NULL, \"descriptor_envelope\" text, \"completed_at\" varchar(32), \"created_at\" varchar(32) NOT NULL)",
      "CREATE TABLE \"partial_signatures\" (\"withdrawal_id\" varchar(36) NOT NULL, \"identity_key\" varchar(64) NOT NULL, \"signatures\" text NOT NULL, \"envelope\" text NOT NULL, \"created_at\" varchar(32) NOT NULL, PRIMARY KEY (\"withdrawal_id\", \"identity_key\"))",
      "CREATE TABLE \"addresses\" (\"vault_id\" varchar(36) NOT NULL, \"change\" integer NOT NULL, \"idx\" integer NOT NULL, \"address\" varchar(100) NOT NULL, \"script_pubkey\" varchar(140) NOT NULL, PRIMARY KEY (\"vault_id\", \"change\", \"idx\"))",
      "CREATE UNIQUE INDEX \"IDX_69b31ba33682e27f43b4754126\" ON \"addresses\" (\"address\") ",
      "CREATE TABLE \"vault_confirmations\" (\"vault_id\" varchar(36) NOT NULL, \"identity_key\" varchar(64) NOT NULL, \"first_address\" varchar(100) NOT NULL, \"envelope\" text NOT NULL, \"created_at\" varchar(32) NOT NULL, PRIMARY KEY (\"vault_id\", \"identity_key\"))",
      "CREATE TABLE \"vault_members\" (\"vault_id\" varchar(36) NOT NULL, \"position\" integer NOT NULL, \"member_id\" varchar(36) NOT NULL, PRIMARY KEY (\"vault_id\", \"position\"))",
      "CREATE TABLE \"vaults\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"name\" varchar(80) NOT NULL, \"network\" varchar(16) NOT NULL, \"kind\" varchar(16) NOT NULL DEFAULT ('wsh-sortedmulti'), \"threshold\" integer NOT NULL, \"descriptor\" text NOT NULL, \"descriptor_hash\" varchar(64) NOT NULL, \"policy\" text NOT NULL, \"policy_hash\" varchar(64) NOT NULL, \"created_by\" varchar(64) NOT NULL, \"create_envelope\" text NOT NULL, \"next_receive_index\" integer NOT NULL DEFAULT (0), \"next_change_index\" integer NOT NULL DEFAULT (0), \"created_at\" varchar(32) NOT NULL, CONSTRAINT \"UQ_97a2870214790a871bbcff6a7d0\" UNIQUE (\"descriptor_hash\"))",
      "CREATE TABLE \"approvals\" (\"withdrawal_id\" varchar(36) NOT NULL, \"identity_key\" varchar(64) NOT NULL, \"envelope\" text NOT NULL, \"created_at\" varchar(32) NOT NULL, PRIMARY KEY (\"withdrawal_id\", \"identity_key\"))",
      "CREATE TABLE \"withdrawal_transactions\" (\"withdrawal_id\" varchar(36) NOT NULL, \"unsigned_txid\" varchar(64) NOT NULL, \"intent_hash\" varchar(64) NOT NULL, \"fee\" varchar(20) NOT NULL, \"txid\" varchar(64), \"tx_hex\" text, \"replaced_by\" varchar(64) NOT NULL, \"replaced_at\" varchar(32) NOT NULL, PRIMARY KEY (\"withdrawal_id\", \"unsigned_txid\"))",
      "CREATE TABLE \"withdrawals\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"vault_id\" varchar(36) NOT NULL, \"request_id\" varchar(64) NOT NULL, \"state\" varchar(24) NOT NULL, \"intent\" text NOT NULL, \"intent_hash\" varchar(64) NOT NULL, \"proposal_envelope\" text NOT NULL, \"proposed_by\" varchar(64) NOT NULL, \"psbt\" text NOT NULL, \"unsigned_txid\" varchar(64) NOT NULL, \"fee\" varchar(20) NOT NULL, \"txid\" varchar(64), \"tx_hex\" text, \"created_at\" varchar(32) NOT NULL, \"updated_at\" varchar(32) NOT NULL)",
      "CREATE UNIQUE INDEX \"IDX_16ff937079eea7678575d618cb\" ON \"withdrawals\" (\"vault_id\", \"request_id\") ",
    ]) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      "DROP INDEX \"IDX_16ff937079eea7678575d618cb\"",
      "DROP TABLE \"withdrawals\"",
      "DROP TABLE \"withdrawal_transactions\"",
      "DROP TABLE \"approvals\"",
      "DROP TABLE \"vaults\"",
      "DROP TABLE \"vault_members\"",
      "DROP TABLE \"vault_confirmations\"",
      "DROP INDEX \"IDX_69b31ba33682e27f43b4754126\"",
      "DROP TABLE \"addresses\"",
      "DROP TABLE \"partial_signatures\"",
      "DROP TABLE \"setups\"",
      "DROP TABLE \"setup_key_records\"",
      "DROP TABLE \"used_nonces\"",
      "DROP TABLE \"members\"",
      "DROP TABLE \"frost_shares\"",
      "DROP INDEX \"IDX_b9883bd27ba5ef4fa39449fb75\"",
      "DROP TABLE \"frost_sessions\"",
      "DROP INDEX \"IDX_ca66485ce44d517d9a71b2205f\"",
      "DROP TABLE \"frost_commitments\"",
      "DROP TABLE \"frost_setups\"",
      "DROP TABLE \"frost_dkg_messages\"",
      "DROP INDEX \"IDX_6651715731cad0e8e4439e7801\"",
      "DROP TABLE \"utxos\"",
      "DROP TABLE \"raw_transactions\"",
      "DROP TABLE \"audit_head\"",
      "DROP TABLE \"audit_events\"",
    ]) await queryRunner.query(sql);
  }
}
