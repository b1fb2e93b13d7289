CREATE TABLE `store_contact` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_contact_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `store_leases` (
	`sku` text PRIMARY KEY NOT NULL,
	`lapse_after_ms` integer NOT NULL,
	`suspended` integer NOT NULL,
	`pending` integer NOT NULL
);
