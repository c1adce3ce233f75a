package route

import "github.com/gin-gonic/gin"

// HandlerFunc is a Gin handler that returns its error instead of recording
// it with c.Error. It returns nil once it has written its answer.
type HandlerFunc func(*gin.Context) error

// Handle adapts h to a gin.HandlerFunc: a non-nil error is recorded on the
// context, and the server's error middleware — the only place an error
// becomes an HTTP status — turns it into a problem document (or leaves it,
// when h had already started writing its answer).
func Handle(h HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			_ = c.Error(err)
		}
	}
}
