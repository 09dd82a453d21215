-- The district and village a caller said aloud when the district was not
-- in the list (or they did not know it): a short recording a volunteer
-- listens to and codes. The PIN code a caller keys goes in pin_code.
ALTER TABLE cases ADD COLUMN place_recording_url TEXT;
ALTER TABLE cases ADD COLUMN place_recording_duration_secs BIGINT;
