CREATE TABLE `customer_contacts` (
	`digest` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `customer_contacts_customer` ON `customer_contacts` (`customer_id`);