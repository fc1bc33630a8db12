# Images (issue 11): the browser uploads straight to the private uploads bucket through a
# resumable session the media function opens; the bucket notifies media-uploads, which is pushed
# to the media processor; it writes WebP variants (m/<media id>/<size>.webp) to the media bucket,
# served publicly through the site's load balancer and Cloud CDN under /m/.
resource "google_storage_bucket" "uploads" {
  # checkov:skip=CKV_GCP_62: objects live seconds to minutes (processed then deleted); Cloud Audit Logs cover writes, usage logs would add a bucket for nothing.
  # checkov:skip=CKV_GCP_78: versioning would keep the originals the processor deletes, and the point is that they are gone (EXIF/GPS).
  project                     = var.project_id
  name                        = "${var.project_id}-uploads"
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels

  # Deleted originals (with their EXIF/GPS) are gone, not kept restorable for a week.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  cors {
    origin          = var.allowed_origins
    method          = ["PUT", "POST", "OPTIONS"]
    response_header = ["Content-Type", "Content-Range", "Range", "X-Goog-Resumable"]
    max_age_seconds = 3600
  }

  # Never processed (or processed and somehow left): gone after a couple of days.
  lifecycle_rule {
    condition {
      age = var.upload_max_age_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }
}

# A deleted image must be gone: no object versions (a noncurrent version stays fetchable by
# generation) and no soft delete; the CDN forgets it within the site module's media TTL.
resource "google_storage_bucket" "media" {
  # checkov:skip=CKV_GCP_62: public, CDN-served images; the load balancer logs the requests.
  # checkov:skip=CKV_GCP_114: the variants are public by design (served by Cloud CDN to everyone).
  # checkov:skip=CKV_GCP_78: versioning would keep deleted images fetchable by generation; deleting a post or an avatar must remove its images.
  project                     = var.project_id
  name                        = "${var.project_id}-media"
  location                    = var.location
  uniform_bucket_level_access = true
  force_destroy               = true
  labels                      = var.labels
  versioning {
    enabled = false
  }
  soft_delete_policy {
    retention_duration_seconds = 0
  }
  # Versions kept while versioning was on (before this change) go within a day.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 1
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

# Everyone may read a variant by its name, nobody may list them (a custom role with
# storage.objects.get only; objectViewer would also grant storage.objects.list).
resource "google_storage_bucket_iam_member" "media_public" {
  # checkov:skip=CKV_GCP_28: only re-encoded, metadata-free variants of images users posted publicly, readable by name, not listable.
  bucket = google_storage_bucket.media.name
  role   = var.public_read_role
  member = "allUsers"
}

resource "google_storage_bucket_iam_member" "uploaders" {
  for_each = var.uploaders
  bucket   = google_storage_bucket.uploads.name
  role     = "roles/storage.objectCreator"
  member   = "serviceAccount:${each.value}"
}

resource "google_storage_bucket_iam_member" "processors_uploads" {
  for_each = var.processors
  bucket   = google_storage_bucket.uploads.name
  role     = "roles/storage.objectUser"
  member   = "serviceAccount:${each.value}"
}

resource "google_storage_bucket_iam_member" "media_writers" {
  for_each = merge(var.processors, var.media_writers)
  bucket   = google_storage_bucket.media.name
  role     = "roles/storage.objectUser"
  member   = "serviceAccount:${each.value}"
}

# Cloud Storage publishes the notifications as its own service agent.
data "google_storage_project_service_account" "gcs" {
  project = var.project_id
}

resource "google_pubsub_topic_iam_member" "gcs_publishes" {
  project = var.project_id
  topic   = var.notification_topic
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "google_storage_notification" "uploads" {
  bucket             = google_storage_bucket.uploads.name
  topic              = var.notification_topic
  payload_format     = "JSON_API_V1"
  event_types        = ["OBJECT_FINALIZE"]
  object_name_prefix = var.upload_prefix
  depends_on         = [google_pubsub_topic_iam_member.gcs_publishes]
}
