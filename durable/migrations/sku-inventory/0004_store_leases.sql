CREATE TABLE `location_leases` (
	`location` text PRIMARY KEY NOT NULL,
	`units` integer,
	`cover_hours` real,
	`max_units` integer,
	`suspended` integer DEFAULT false NOT NULL,
	`sized_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `ledger` ADD `leased_delta` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `location_stock` ADD `leased` integer DEFAULT 0 NOT NULL;