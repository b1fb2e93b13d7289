CREATE TABLE `loyalty_outbox` (
	`transaction_id` text PRIMARY KEY NOT NULL,
	`queued_at` integer NOT NULL
);
