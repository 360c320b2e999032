// A small XML tree for the answers of the query protocols (EC2, CloudFormation, RDS, STS),
// parsed with expat: elements, their text and children. Attributes and namespaces are not kept
// (no answer we read needs them); entities and CDATA are decoded by expat.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lambench::aws {

struct xml_parse_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct xml_node {
    std::string name;  // local name: a "prefix:" is dropped
    std::string text;  // character data directly inside this element
    std::vector<xml_node> children;

    // The first child element with this name, or nullptr.
    const xml_node* child(std::string_view child_name) const;
    // Text of a descendant path such as "Stacks/member/StackStatus" (first match at each
    // step); "" when any step is missing.
    std::string text_at(std::string_view path) const;
    const xml_node* at(std::string_view path) const;
    // Every child with this name, in document order.
    std::vector<const xml_node*> all(std::string_view child_name) const;
    // The first element with this name anywhere below (depth first), or nullptr.
    const xml_node* find(std::string_view descendant_name) const;
};

// Throws xml_parse_error (with expat's message and line) on malformed input, more than 1,000 levels
// of nesting, or more than 16 MiB.
xml_node parse_xml(std::string_view text);

}  // namespace lambench::aws
