package localctl

import (
	"encoding/binary"
	"slices"

	"golang.org/x/sys/unix"
)

// POSIX ACL xattr format (linux/posix_acl_xattr.h): a version, then
// entries of tag, permissions and id, sorted by tag and id.
const (
	aclVersion   = 2
	aclUserObj   = 0x01
	aclUser      = 0x02
	aclGroupObj  = 0x04
	aclMask      = 0x10
	aclOther     = 0x20
	aclUndefined = 0xffffffff
	aclRW        = 0o6
)

// setSocketACL makes the socket at path usable (read and write: connect)
// by its owner and by uids, and by nobody else: a POSIX access ACL, so
// that the kernel itself keeps everyone else from connecting. It fails
// where the file system has no ACLs.
func setSocketACL(path string, uids []int) error {
	uids = slices.Clone(uids)
	slices.Sort(uids)
	uids = slices.Compact(uids)
	buf := binary.LittleEndian.AppendUint32(nil, aclVersion)
	entry := func(tag, perm uint16, id uint32) {
		buf = binary.LittleEndian.AppendUint16(buf, tag)
		buf = binary.LittleEndian.AppendUint16(buf, perm)
		buf = binary.LittleEndian.AppendUint32(buf, id)
	}
	entry(aclUserObj, aclRW, aclUndefined)
	for _, uid := range uids {
		entry(aclUser, aclRW, uint32(uid))
	}
	entry(aclGroupObj, 0, aclUndefined)
	if len(uids) > 0 {
		entry(aclMask, aclRW, aclUndefined)
	}
	entry(aclOther, 0, aclUndefined)
	return unix.Setxattr(path, "system.posix_acl_access", buf, 0)
}
