// A folder as one byte string, for sending a finished fold (its metrics, predictions, history and
// model bundle) from the rank that ran it to rank 0, which writes the run folder.
//
// Format (version 1): the line "emofuse-folder 1", then per regular file the relative path on a
// line, its size in bytes on a line, and the bytes. Paths use '/', never start with '/' and never
// contain "..".
#pragma once

#include <string>
#include <vector>

namespace emofuse::dist {

/// Every regular file under `dir` (recursively, in sorted order), except the relative paths in
/// `skip`. Throws DataError naming a file that cannot be read.
std::string pack_folder(const std::string& dir, const std::vector<std::string>& skip = {});

/// Writes the files of `packed` into `dir`, replacing what was there: they are written into
/// `dir`.partial first and renamed into place, so `dir` is never half-written. `origin` names
/// where the bytes came from in errors ("fold 3 from rank 1"). Throws DataError on a malformed or
/// truncated string or an unsafe path.
void unpack_folder(const std::string& packed, const std::string& dir, const std::string& origin);

}  // namespace emofuse::dist
