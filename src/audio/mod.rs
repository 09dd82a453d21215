//! Prompt audio: checking uploads and turning them into what gateways play
//! well (see issue "Admins manage prompt recordings"). Work in progress.
