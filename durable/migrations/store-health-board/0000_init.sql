CREATE TABLE `health_samples` (
	`location` text NOT NULL,
	`at` integer NOT NULL,
	`status` text NOT NULL,
	`backlog` integer NOT NULL,
	`oldest_pending_at` integer,
	`dead_letters` integer NOT NULL,
	PRIMARY KEY(`location`, `at`)
);
--> statement-breakpoint
CREATE INDEX `health_samples_at` ON `health_samples` (`at`);--> statement-breakpoint
CREATE TABLE `store_health` (
	`location` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`last_report_at` integer NOT NULL,
	`online_since` integer,
	`offline_since` integer,
	`agent_version` text NOT NULL,
	`backlog` integer NOT NULL,
	`oldest_pending_at` integer,
	`last_push_at` integer,
	`last_pull_at` integer,
	`dead_letters` integer NOT NULL
);
