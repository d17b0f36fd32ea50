// Transport `smb`: the share is a folder of an SMB share (a Windows server,
// a Synology or QNAP NAS, Samba), reached with libsmbclient: nothing is
// mounted, no root or cifs-utils needed.
//
// Connection: lazy. The constructor only checks the options; the first call
// reaches the server (a TCP probe bounded by the timeout, then the share and
// the folder are checked) and throws Error(io) naming the URL when the host
// is unreachable, the password wrong, the share or folder missing. After any
// io failure the next call checks again the same way, so a server that comes
// back is used again (libsmbclient reconnects); a server restarted between two
// calls is not even noticed (a request that finds the connection dead is made
// again on a new one when it changes nothing).
//
// Puts write ".<final>.<host>.<pid>.<random>.nstmp" in the target's folder,
// close it, and rename it over the target. SMB's rename onto an existing
// name deletes the target first, so the name is briefly missing (readers
// get not_found and try next round); while another client has the target
// open the rename is refused (EEXIST), and the put tries again until the
// timeout, then fails with Error(io) and removes its temporary file.
// Leftovers of killed puts are removed by a later put into their folder: the
// first put into a folder (and one an hour) lists it for them; later puts
// remove those the listings of the sync saw, without a listing of their own.
#pragma once

#include <nas_sync/transport.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "smb_context.hpp"
#include "smb_url.hpp"

namespace nas_sync::smb_transport {

class SmbTransport final : public Transport {
public:
    SmbTransport(SmbLocation location, Credentials credentials, std::chrono::milliseconds timeout);

    std::vector<ObjectInfo> list(std::string_view prefix) override;
    void put(const std::filesystem::path& local_file, std::string_view name) override;
    void get(std::string_view name, const std::filesystem::path& local_file) override;
    std::string read_first_bytes(std::string_view name, std::size_t length) override;
    void remove(std::string_view name) override;
    std::string describe() const override { return display_; }

private:
    // Reaches the server and checks the share and folder, unless done since the last io failure.
    void connect();
    // Every failure of a call becomes an Error here: ENOENT is not_found
    // (unless missing_is_not_found is off), anything else io, after which the
    // next call checks the server again.
    [[noreturn]] void fail(const std::string& what, int err, bool missing_is_not_found = true);
    void require_safe(std::string_view name) const;
    std::string url(std::string_view relative = {}) const { return location_.libsmbclient_url(relative); }
    // Connects, then makes the first request of an operation; when that finds
    // the connection dead (the server restarted since the last call), once
    // more on a new connection. Only for requests that change nothing.
    template <typename Request>
    int first_request(Request&& request);
    // Adds the objects of a folder (its listing, or the error listing it gave) and of its subfolders.
    void walk(const std::string& folder, std::string_view prefix, int err, const std::vector<DirectoryEntry>& entries,
              std::vector<ObjectInfo>& out);
    // Removes the temporary files of killed puts in `folder` during a put:
    // those a listing saw in it since, and, at the first put into the folder
    // (again once stale_temporary_age has passed), those a listing of the
    // folder finds. A listing is a few round trips to the server, so later
    // puts do without one.
    void remove_abandoned_temporaries(const std::string& folder);
    void create_folders(const std::string& folder);
    void rename_into_place(const std::string& temp, const std::string& name, const std::string& what);
    int replace_when_free(const std::string& temp, const std::string& name);

    SmbLocation location_;
    std::chrono::milliseconds timeout_;
    std::string display_;  // smb://user@host:port/share/folder
    std::unique_ptr<SmbContext> context_;
    bool connected_ = false;
    // A folder we put into: when a put last listed it for leftovers of
    // killed puts, and those listings saw in it since.
    struct PutFolder {
        std::chrono::steady_clock::time_point listed;
        std::set<std::string> leftovers;
    };
    std::map<std::string, PutFolder> put_folders_;
};

}  // namespace nas_sync::smb_transport
