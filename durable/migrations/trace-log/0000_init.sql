CREATE TABLE `trace_hops` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trace_id` text NOT NULL,
	`at` integer NOT NULL,
	`hop` text NOT NULL,
	`location` text NOT NULL,
	`span_id` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `trace_hops_trace` ON `trace_hops` (`trace_id`,`at`);--> statement-breakpoint
CREATE INDEX `trace_hops_at` ON `trace_hops` (`at`);