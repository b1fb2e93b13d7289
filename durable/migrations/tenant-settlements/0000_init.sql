CREATE TABLE `handoffs` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`payout_id` text NOT NULL,
	`contributions` text NOT NULL,
	`exceptions` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `payouts` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`source` text NOT NULL,
	`external_id` text NOT NULL,
	`channel` text NOT NULL,
	`currency` text NOT NULL,
	`deposit` integer NOT NULL,
	`deposit_date` text NOT NULL,
	`period_start` text,
	`period_end` text,
	`checksum` text NOT NULL,
	`line_count` integer NOT NULL,
	`unmatched_count` integer NOT NULL,
	`unmatched_amount` integer NOT NULL,
	`unexplained` integer NOT NULL,
	`imported_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payouts_id_unique` ON `payouts` (`id`);--> statement-breakpoint
CREATE INDEX `payouts_source` ON `payouts` (`source`,`seq`);--> statement-breakpoint
CREATE TABLE `settlement_lines` (
	`payout_id` text NOT NULL,
	`line` integer NOT NULL,
	`source_line_id` text NOT NULL,
	`kind` text NOT NULL,
	`description` text NOT NULL,
	`reference` text,
	`amount` integer NOT NULL,
	`fee` integer NOT NULL,
	`occurred_at` text,
	`matched_order_id` text,
	`unmatched_reason` text,
	PRIMARY KEY(`payout_id`, `line`)
);
