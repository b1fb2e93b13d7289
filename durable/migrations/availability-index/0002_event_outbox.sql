CREATE TABLE `event_outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event` text NOT NULL,
	`tries` integer NOT NULL,
	`created_at` integer NOT NULL
);
