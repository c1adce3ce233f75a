package api

// DownloadURLRequest asks POST
// /api/v1/jump-client-installers/{id}/download-urls for a signed download
// URL of one platform.
type DownloadURLRequest struct {
	// Platform is one of Platforms.
	Platform string `json:"platform" validate:"required"`
	// ValidSeconds is how long the URL works, 60–86400 (a day); default
	// 900 (15 minutes). The URL never outlives the installer.
	ValidSeconds int `json:"valid_seconds" validate:"omitempty,min=60,max=86400"`
}

// Signed download URL validity, in seconds.
const (
	DefaultDownloadURLSeconds = 900
	MaxDownloadURLSeconds     = 86400
)
