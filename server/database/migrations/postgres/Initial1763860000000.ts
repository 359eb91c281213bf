/** PostgreSQL schema: generated from the entities by server/database/generate-migrations.ts. */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1763860000000 implements MigrationInterface {
  name = 'Initial1763860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      "CREATE TABLE \"audit_events\" (\"seq\" integer NOT NULL, \"kind\" character varying(48) NOT NULL, \"actor\" character varying(64), \"subject\" character varying(36), \"payload\" text NOT NULL, \"evidence\" text, \"prev_hash\" character varying(64) NOT NULL, \"hash\" character varying(64) NOT NULL, \"coordinator_sig\" character varying(128) NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_6e299f5706e715265416fefe53e\" PRIMARY KEY (\"seq\"))",
      "CREATE TABLE \"audit_head\" (\"id\" integer NOT NULL, \"seq\" integer NOT NULL, \"hash\" character varying(64) NOT NULL, \"coordinator_key\" character varying(64) NOT NULL, CONSTRAINT \"PK_d3ed64edb3e208e83ccb5da589a\" PRIMARY KEY (\"id\"))",
      "CREATE TABLE \"raw_transactions\" (\"txid\" character varying(64) NOT NULL, \"hex\" text NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_3b917db6d2ee9e8d00fb44f2483\" PRIMARY KEY (\"txid\"))",
      "CREATE TABLE \"utxos\" (\"txid\" character varying(64) NOT NULL, \"vout\" integer NOT NULL, \"vault_id\" character varying(36) NOT NULL, \"amount\" character varying(20) NOT NULL, \"address\" character varying(100) NOT NULL, \"change\" integer NOT NULL, \"idx\" integer NOT NULL, \"status\" character varying(16) NOT NULL, \"reserved_by\" character varying(36), \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_f763b4559da748ec9e6c9af1fce\" PRIMARY KEY (\"txid\", \"vout\"))",
      "CREATE INDEX \"IDX_6651715731cad0e8e4439e7801\" ON \"utxos\"  (\"vault_id\", \"status\") ",
      "CREATE TABLE \"frost_dkg_messages\" (\"setup_id\" character varying(32) NOT NULL, \"round\" character varying(8) NOT NULL, \"sender\" character varying(64) NOT NULL, \"recipient\" character varying(64) NOT NULL, \"sender_index\" integer NOT NULL, \"message\" text NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_8aa9c1053cd3425d5a2a2dd7968\" PRIMARY KEY (\"setup_id\", \"round\", \"sender\", \"recipient\"))",
      "CREATE TABLE \"frost_setups\" (\"setup_id\" character varying(32) NOT NULL, \"params\" text NOT NULL, \"params_hash\" character varying(64) NOT NULL, \"open_envelope\" text NOT NULL, \"state\" character varying(16) NOT NULL, \"expires_at\" character varying(32) NOT NULL, \"certificate\" text, \"vault_id\" character varying(36), \"abort_code\" character varying(64), \"abort_message\" text, \"created_at\" character varying(32) NOT NULL, \"updated_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_4284bc7ebf5ca3065d31c37d2eb\" PRIMARY KEY (\"setup_id\"))",
      "CREATE TABLE \"frost_commitments\" (\"withdrawal_id\" character varying(36) NOT NULL, \"identity_key\" character varying(64) NOT NULL, \"commitment_id\" character varying(32) NOT NULL, \"arrival\" integer NOT NULL, \"unsigned_txid\" character varying(64) NOT NULL, \"participant_index\" integer NOT NULL, \"envelope\" text NOT NULL, \"session_id\" character varying(36), \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_edeaf8dd4a7322419487d89ce47\" PRIMARY KEY (\"withdrawal_id\", \"identity_key\", \"commitment_id\"))",
      "CREATE UNIQUE INDEX \"IDX_ca66485ce44d517d9a71b2205f\" ON \"frost_commitments\"  (\"withdrawal_id\", \"arrival\") ",
      "CREATE TABLE \"frost_sessions\" (\"id\" character varying(36) NOT NULL, \"withdrawal_id\" character varying(36) NOT NULL, \"number\" integer NOT NULL, \"state\" character varying(16) NOT NULL, \"signers\" text NOT NULL, \"failure_code\" character varying(64), \"failure_message\" text, \"failure_identity_key\" character varying(64), \"created_at\" character varying(32) NOT NULL, \"updated_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_26b5e79708826371b9e942711dc\" PRIMARY KEY (\"id\"))",
      "CREATE UNIQUE INDEX \"IDX_b9883bd27ba5ef4fa39449fb75\" ON \"frost_sessions\"  (\"withdrawal_id\", \"number\") ",
      "CREATE TABLE \"frost_shares\" (\"session_id\" character varying(36) NOT NULL, \"identity_key\" character varying(64) NOT NULL, \"withdrawal_id\" character varying(36) NOT NULL, \"valid\" boolean NOT NULL, \"envelope\" text NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_088411224a5bb58553113df5877\" PRIMARY KEY (\"session_id\", \"identity_key\"))",
      "CREATE TABLE \"members\" (\"id\" character varying(36) NOT NULL, \"name\" character varying(80) NOT NULL, \"identity_key\" character varying(64) NOT NULL, \"network\" character varying(16) NOT NULL, \"account_fingerprint\" character varying(8) NOT NULL, \"account_path\" character varying(64) NOT NULL, \"account_xpub\" character varying(120) NOT NULL, \"join_envelope\" text NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"UQ_ce578ea3d0ab66eb81bb0b07761\" UNIQUE (\"identity_key\"), CONSTRAINT \"UQ_5396dbdc1c35995acafd88eb0f8\" UNIQUE (\"account_xpub\"), CONSTRAINT \"PK_28b53062261b996d9c99fa12404\" PRIMARY KEY (\"id\"))",
      "CREATE TABLE \"used_nonces\" (\"id\" character varying(100) NOT NULL, \"type\" character varying(32) NOT NULL, \"expires_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_7fc8e2446bc1182719bbe76e682\" PRIMARY KEY (\"id\"))",
      "CREATE TABLE \"setup_key_records\" (\"setup_id\" character varying(36) NOT NULL, \"member\" character varying(64) NOT NULL, \"position\" integer NOT NULL, \"submitted_by\" character varying(64) NOT NULL, \"record\" text NOT NULL, \"envelope\" text NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"UQ_2e02d433b507c1c3a933e292a53\" UNIQUE (\"setup_id\", \"position\"), CONSTRAINT \"PK_52fc2f0a4d00db7c82836836588\" PRIMARY KEY (\"setup_id\", \"member\"))",
      "CREATE TABLE \"setups\" (\"id\" character varying(36) NOT NULL, \"name\" character varying(80) NOT NULL, \"network\" character varying(16) NOT NULL, \"threshold\" integer NOT NULL, \"keyholders\" integer NOT NULL, \"mode\" character varying(16) NOT NULL, \"expires_at\" character varying(32) NOT NULL, \"opened_by\" character varying(64) NOT NULL, \"open_envelope\" text NOT NULL, \"descriptor_envelope\" text, \"completed_at\" character varying(32), \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_fa7f9bc52ca7dba2c34a51fad4d\" PRIMARY KEY (\"id\"))",
      "CREATE TABLE \"partial_signatures\" (\"withdrawal_id\" character varying(36) NOT NULL, \"identity_key\" character varying(64) NOT NULL, \"signatures\" text NOT NULL, \"envelope\" text NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_60a0864015ce68a0e5733c3489d\" PRIMARY KEY (\"withdrawal_id\", \"identity_key\"))",
      "CREATE TABLE \"addresses\" (\"vault_id\" character varying(36) NOT NULL, \"change\" integer NOT NULL, \"idx\" integer NOT NULL, \"address\" character varying(100) NOT NULL, \"script_pubkey\" character varying(140) NOT NULL, CONSTRAINT \"PK_7fa31b54c09eb717a42c6cbf590\" PRIMARY KEY (\"vault_id\", \"change\", \"idx\"))",
      "CREATE UNIQUE INDEX \"IDX_69b31ba33682e27f43b4754126\" ON \"addresses\"  (\"address\") ",
      "CREATE TABLE \"vault_confirmations\" (\"vault_id\" character varying(36) NOT NULL, \"identity_key\" character varying(64) NOT NULL, \"first_address\" character varying(100) NOT NULL, \"envelope\" text NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_7a5e703e5bd8d24e1a8ac5c28c9\" PRIMARY KEY (\"vault_id\", \"identity_key\"))",
      "CREATE TABLE \"vault_members\" (\"vault_id\" character varying(36) NOT NULL, \"position\" integer NOT NULL, \"member_id\" character varying(36) NOT NULL, CONSTRAINT \"PK_d94d77fe8a45d8b0b9bd344e43e\" PRIMARY KEY (\"vault_id\", \"position\"))",
      "CREATE TABLE \"vaults\" (\"id\" character varying(36) NOT NULL, \"name\" character varying(80) NOT NULL, \"network\" character varying(16) NOT NULL, \"kind\" character varying(16) NOT NULL DEFAULT 'wsh-sortedmulti', \"threshold\" integer NOT NULL, \"descriptor\" text NOT NULL, \"descriptor_hash\" character varying(64) NOT NULL, \"policy\" text NOT NULL, \"policy_hash\" character varying(64) NOT NULL, \"created_by\" character varying(64) NOT NULL, \"create_envelope\" text NOT NULL, \"next_receive_index\" integer NOT NULL DEFAULT '0', \"next_change_index\" integer NOT NULL DEFAULT '0', \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"UQ_97a2870214790a871bbcff6a7d0\" UNIQUE (\"descriptor_hash\"), CONSTRAINT \"PK_487a5346fa3693a430b6d6db60c\" PRIMARY KEY (\"id\"))",
      "CREATE TABLE \"approvals\" (\"withdrawal_id\" character varying(36) NOT NULL, \"identity_key\" character varying(64) NOT NULL, \"envelope\" text NOT NULL, \"created_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_f6c155e022ce3979e7a83776543\" PRIMARY KEY (\"withdrawal_id\", \"identity_key\"))",
      "CREATE TABLE \"withdrawal_transactions\" (\"withdrawal_id\" character varying(36) NOT NULL, \"unsigned_txid\" character varying(64) NOT NULL, \"intent_hash\" character varying(64) NOT NULL, \"fee\" character varying(20) NOT NULL, \"txid\" character varying(64), \"tx_hex\" text, \"replaced_by\" character varying(64) NOT NULL, \"replaced_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_a61752ba4171079c1cf99031a56\" PRIMARY KEY (\"withdrawal_id\", \"unsigned_txid\"))",
      "CREATE TABLE \"withdrawals\" (\"id\" character varying(36) NOT NULL, \"vault_id\" character varying(36) NOT NULL, \"request_id\" character varying(64) NOT NULL, \"state\" character varying(24) NOT NULL, \"intent\" text NOT NULL, \"intent_hash\" character varying(64) NOT NULL, \"proposal_envelope\" text NOT NULL, \"proposed_by\" character varying(64) NOT NULL, \"psbt\" text NOT NULL, \"unsigned_txid\" character varying(64) NOT NULL, \"fee\" character varying(20) NOT NULL, \"txid\" character varying(64), \"tx_hex\" text, \"created_at\" character varying(32) NOT NULL, \"updated_at\" character varying(32) NOT NULL, CONSTRAINT \"PK_9871ec481baa7755f8bd8b7c7e9\" PRIMARY KEY (\"id\"))",
      "CREATE UNIQUE INDEX \"IDX_16ff937079eea7678575d618cb\" ON \"withdrawals\"  (\"vault_id\", \"request_id\") ",
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
