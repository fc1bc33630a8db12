# Collections and queries: shared/adapters/firestore_posts.py.
resource "google_firestore_database" "this" {
  project                           = var.project_id
  name                              = "(default)"
  location_id                       = var.location_id
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "OPTIMISTIC"
  point_in_time_recovery_enablement = var.protect ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = var.protect ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = var.protect ? "ABANDON" : "DELETE"
}

# list_user_posts / count_user_posts: posts where author_id == a and deleted == false
# [and id < before] order by id desc.
resource "google_firestore_index" "posts_by_author" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "posts"
  fields {
    field_path = "author_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "deleted"
    order      = "ASCENDING"
  }
  fields {
    field_path = "id"
    order      = "DESCENDING"
  }
}

# unpublished_events (the outbox relay): collection group post_events where
# published == false [and occurred_ms < t] order by occurred_ms.
resource "google_firestore_index" "unpublished_events" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = "post_events"
  query_scope = "COLLECTION_GROUP"
  fields {
    field_path = "published"
    order      = "ASCENDING"
  }
  fields {
    field_path = "occurred_ms"
    order      = "ASCENDING"
  }
}

# iter_events / count_events (replay): collection group post_events by occurred_ms range.
# One field, so a single-field index, which Firestore only builds per collection by default.
resource "google_firestore_field" "events_occurred_ms" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "post_events"
  field      = "occurred_ms"
  index_config {
    indexes {
      order = "ASCENDING"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# Media docs of uploads never finished disappear (expires_at is set while pending; docs/media.md).
resource "google_firestore_field" "media_ttl" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "media"
  field      = "expires_at"
  ttl_config {}
  index_config {}
}

# Idempotency keys expire after 24 h (expires_at is written with each key).
resource "google_firestore_field" "idempotency_ttl" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "post_idempotency"
  field      = "expires_at"
  ttl_config {}
  # A TTL field needs no index: skip the default ones (cheaper writes).
  index_config {}
}

# Notification rows' durable copy (shared/adapters/firestore_notifications.py): kept 30 days
# after a row's latest activity (expires_at = that + 31 days). The collection group of every
# user's notifications/{uid}/notification_rows.
resource "google_firestore_field" "notification_rows_ttl" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "notification_rows"
  field      = "expires_at"
  ttl_config {}
  index_config {}
}

# An erased account leaves every notification row that shows it (FirestoreNotifications
# .rows_naming): notification_rows where actors array-contains the id, across all users.
resource "google_firestore_field" "notification_rows_actors" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "notification_rows"
  field      = "actors"
  index_config {
    indexes {
      array_config = "CONTAINS"
    }
    indexes {
      array_config = "CONTAINS"
      query_scope  = "COLLECTION_GROUP"
    }
  }
}

# likers / count_active (shared/adapters/firestore_engagement.py): likes where post_id == p and
# active == true order by key desc.
resource "google_firestore_index" "likes_of_post" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "likes"
  fields {
    field_path = "post_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "active"
    order      = "ASCENDING"
  }
  fields {
    field_path = "key"
    order      = "DESCENDING"
  }
}

# liked_by: likes where user_id == u and active == true order by key desc.
resource "google_firestore_index" "likes_by_user" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "likes"
  fields {
    field_path = "user_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "active"
    order      = "ASCENDING"
  }
  fields {
    field_path = "key"
    order      = "DESCENDING"
  }
}

# count_active of reposts: reposts where post_id == p and active == true.
resource "google_firestore_index" "reposts_of_post" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "reposts"
  fields {
    field_path = "post_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "active"
    order      = "ASCENDING"
  }
  fields {
    field_path = "key"
    order      = "DESCENDING"
  }
}

# reposts_by (the timeline rebuild): reposts where user_id == u and active == true order by key
# desc.
resource "google_firestore_index" "reposts_by_user" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "reposts"
  fields {
    field_path = "user_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "active"
    order      = "ASCENDING"
  }
  fields {
    field_path = "key"
    order      = "DESCENDING"
  }
}

# The engagement outbox relay: engagement_outbox where published == false [and occurred_ms < t]
# order by occurred_ms.
resource "google_firestore_index" "unpublished_engagement" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "engagement_outbox"
  fields {
    field_path = "published"
    order      = "ASCENDING"
  }
  fields {
    field_path = "occurred_ms"
    order      = "ASCENDING"
  }
}

# A thread's direct replies (firestore_posts.list_replies): posts where reply_to == p order by
# id (asc; Firestore serves desc from the same index).
resource "google_firestore_index" "replies_of_post" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "posts"
  fields {
    field_path = "reply_to"
    order      = "ASCENDING"
  }
  fields {
    field_path = "id"
    order      = "ASCENDING"
  }
}
