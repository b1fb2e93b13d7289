CREATE TABLE `location_watchers` (
	`location` text NOT NULL,
	`connection_id` text NOT NULL,
	PRIMARY KEY(`location`, `connection_id`)
);
--> statement-breakpoint
CREATE INDEX `location_watchers_connection` ON `location_watchers` (`connection_id`);