CREATE TABLE `loyalty_allowances` (
	`customer_id` text PRIMARY KEY NOT NULL,
	`loyalty_id` text,
	`name` text,
	`balance` integer NOT NULL,
	`hold_id` text,
	`held_points` integer DEFAULT 0 NOT NULL,
	`hold_expires_at` integer,
	`redeemed_points` integer DEFAULT 0 NOT NULL,
	`redeemed_by` text,
	`as_of` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `loyalty_allowances_loyalty_id` ON `loyalty_allowances` (`loyalty_id`);