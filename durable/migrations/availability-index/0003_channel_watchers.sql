CREATE TABLE `channel_watchers` (
	`channel` text NOT NULL,
	`connection_id` text NOT NULL,
	PRIMARY KEY(`channel`, `connection_id`)
);
