CREATE TABLE `import_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`import_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`checksum` text,
	`received` integer NOT NULL,
	`accepted` integer NOT NULL,
	`rejected` integer NOT NULL,
	`ignored` integer NOT NULL,
	`pending` integer NOT NULL,
	`created_at` integer NOT NULL,
	`completed_at` integer
);
--> statement-breakpoint
CREATE TABLE `pending_rows` (
	`row` integer PRIMARY KEY NOT NULL,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `report_lines` (
	`row` integer NOT NULL,
	`column` text,
	`outcome` text NOT NULL,
	`reason` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `report_lines_row` ON `report_lines` (`row`);