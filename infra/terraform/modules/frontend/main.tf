# The built SPA (frontend/dist, uploaded by `make deploy`) in a bucket, served by an external
# Application Load Balancer with Cloud CDN; HTTPS with a Google-managed certificate when a
# domain is set, and HTTP then only redirects.
locals {
  https = var.domain != ""
}

resource "google_storage_bucket" "site" {
  # checkov:skip=CKV_GCP_28: the SPA's files are public by nature; Cloud CDN backend buckets read public objects.
  # checkov:skip=CKV_GCP_62: access logs of a public static site are the load balancer's request logs (enabled below).
  # checkov:skip=CKV_GCP_114: public access prevention would block the public read the CDN serves.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name}-site"
  location                    = var.bucket_location
  uniform_bucket_level_access = true
  force_destroy               = true
  labels                      = var.labels
  # "/" is index.html; client-side routes (/u/alice) are rewritten to it by the URL map, so
  # they answer 200 rather than a 404 carrying the app.
  website {
    main_page_suffix = "index.html"
  }
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      num_newer_versions = 3
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_iam_member" "public_read" {
  # checkov:skip=CKV_GCP_28: this bucket holds only the built SPA, which every visitor downloads anyway; reading objects only, not listing them.
  bucket = google_storage_bucket.site.name
  role   = var.public_read_role
  member = "allUsers"
}

# Caching follows the objects' Cache-Control, which `make deploy` sets (deploy.sh): the hashed
# assets for a year (immutable), index.html never (no-cache), the rest for an hour. Cloud CDN
# compresses (gzip/brotli) what the browser accepts.
resource "google_compute_backend_bucket" "site" {
  project          = var.project_id
  name             = "${var.name}-site"
  bucket_name      = google_storage_bucket.site.name
  enable_cdn       = true
  compression_mode = "AUTOMATIC"
  cdn_policy {
    cache_mode       = "USE_ORIGIN_HEADERS"
    negative_caching = true
    # A missing asset is remembered briefly only (a deploy may add it a moment later).
    negative_caching_policy {
      code = 404
      ttl  = 60
    }
  }
}

resource "google_compute_global_address" "site" {
  project = var.project_id
  name    = "${var.name}-site"

  lifecycle {
    precondition {
      condition     = var.domain != "" || !var.require_https
      error_message = "This environment requires HTTPS: set domain (its A record must point at the site's IP)."
    }
  }
}

resource "google_compute_backend_bucket" "media" {
  count       = var.serve_media ? 1 : 0
  project     = var.project_id
  name        = "${var.name}-media"
  bucket_name = var.media_bucket
  enable_cdn  = true
  cdn_policy {
    # Variants never change under a name, but a deleted image must stop being served: nothing
    # invalidates the cache on delete, so the edge keeps a variant at most an hour and browsers
    # ten minutes, whatever Cache-Control the object carries.
    cache_mode       = "CACHE_ALL_STATIC"
    default_ttl      = var.media_cdn_ttl
    max_ttl          = var.media_cdn_ttl
    client_ttl       = var.media_client_ttl
    negative_caching = true
    negative_caching_policy {
      code = 404
      ttl  = 60
    }
  }
}

# Routing: the built files as they are (Vite's hashed /assets/, the files of frontend/public),
# images under /m/ from the media bucket, and every other path (a client-side route such as
# /u/alice or /post/1) rewritten to /index.html, so that a deep link answers 200 with the app.
resource "google_compute_url_map" "site" {
  project         = var.project_id
  name            = "${var.name}-site"
  default_service = google_compute_backend_bucket.site.id

  host_rule {
    hosts        = ["*"]
    path_matcher = "site"
  }

  path_matcher {
    name            = "site"
    default_service = google_compute_backend_bucket.site.id

    route_rules {
      priority = 1
      service  = google_compute_backend_bucket.site.id
      match_rules {
        prefix_match = "/assets/"
      }
      match_rules {
        full_path_match = "/"
      }
      dynamic "match_rules" {
        for_each = var.static_paths
        content {
          full_path_match = match_rules.value
        }
      }
    }

    # Object names are m/<media id>/<size>.webp, so /m/... maps onto the bucket as is.
    dynamic "route_rules" {
      for_each = var.serve_media ? [1] : []
      content {
        priority = 2
        service  = google_compute_backend_bucket.media[0].id
        match_rules {
          prefix_match = "/m/"
        }
      }
    }

    route_rules {
      priority = 3
      service  = google_compute_backend_bucket.site.id
      match_rules {
        path_template_match = "/**"
      }
      route_action {
        url_rewrite {
          path_template_rewrite = "/index.html"
        }
      }
    }
  }
}

# The certificate's name follows its domain: a new domain gets a new certificate, created
# before the old one is detached and deleted (a managed certificate cannot change in place).
resource "google_compute_managed_ssl_certificate" "site" {
  count   = local.https ? 1 : 0
  project = var.project_id
  name    = "${var.name}-site-${substr(sha256(var.domain), 0, 8)}"
  managed {
    domains = [var.domain]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_ssl_policy" "modern" {
  count           = local.https ? 1 : 0
  project         = var.project_id
  name            = "${var.name}-modern-tls"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "site" {
  count            = local.https ? 1 : 0
  project          = var.project_id
  name             = "${var.name}-site"
  url_map          = google_compute_url_map.site.id
  ssl_certificates = [google_compute_managed_ssl_certificate.site[0].id]
  ssl_policy       = google_compute_ssl_policy.modern[0].id
}

resource "google_compute_global_forwarding_rule" "https" {
  count                 = local.https ? 1 : 0
  project               = var.project_id
  name                  = "${var.name}-site-https"
  ip_address            = google_compute_global_address.site.address
  port_range            = "443"
  target                = google_compute_target_https_proxy.site[0].id
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# With a domain, port 80 only redirects to HTTPS.
resource "google_compute_url_map" "redirect" {
  count   = local.https ? 1 : 0
  project = var.project_id
  name    = "${var.name}-site-redirect"
  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "site" {
  project = var.project_id
  name    = "${var.name}-site-http"
  url_map = local.https ? google_compute_url_map.redirect[0].id : google_compute_url_map.site.id
}

resource "google_compute_global_forwarding_rule" "http" {
  project               = var.project_id
  name                  = "${var.name}-site-http"
  ip_address            = google_compute_global_address.site.address
  port_range            = "80"
  target                = google_compute_target_http_proxy.site.id
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
