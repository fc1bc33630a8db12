# The outbox relay's clock: one tick a minute (the local stack's ticker does the same).
resource "google_cloud_scheduler_job" "outbox_tick" {
  project     = var.project_id
  region      = var.region
  name        = "outbox-tick"
  description = "Publishes a tick to outbox-ticks; the outbox_relay function republishes what the write path could not."
  schedule    = var.schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = var.topic_id
    data       = base64encode("{}")
    attributes = { source = "cloud-scheduler" }
  }

  retry_config {
    retry_count = 0
  }
}
