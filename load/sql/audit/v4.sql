-- audit v4: the search-profile-set kind (legacy SearchProfiles, for the
-- news module). Rows already written stay as they are.
ALTER TYPE event_kind ADD VALUE IF NOT EXISTS 'search-profile-set';
