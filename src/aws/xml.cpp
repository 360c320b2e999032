#include "aws/xml.hpp"

#include <expat.h>

#include <memory>

namespace lambench::aws {
namespace {

constexpr std::size_t max_depth = 1000;
constexpr std::size_t max_bytes = 16u << 20;

struct builder {
    xml_node root;
    std::vector<xml_node*> stack;
    bool too_deep = false;
    XML_Parser parser = nullptr;
};

std::string local_name(const XML_Char* name) {
    std::string_view n(name);
    if (const auto colon = n.rfind(':'); colon != std::string_view::npos)
        n.remove_prefix(colon + 1);
    return std::string(n);
}

void on_start(void* user, const XML_Char* name, const XML_Char**) {
    auto& b = *static_cast<builder*>(user);
    if (b.stack.size() >= max_depth) {
        b.too_deep = true;
        XML_StopParser(b.parser, XML_FALSE);
        return;
    }
    xml_node* parent = b.stack.back();
    parent->children.push_back(xml_node{local_name(name), {}, {}});
    b.stack.push_back(&parent->children.back());
}

void on_end(void* user, const XML_Char*) {
    static_cast<builder*>(user)->stack.pop_back();
}

void on_text(void* user, const XML_Char* s, int len) {
    auto& b = *static_cast<builder*>(user);
    b.stack.back()->text.append(s, static_cast<std::size_t>(len));
}

}  // namespace

const xml_node* xml_node::child(std::string_view child_name) const {
    for (const auto& c : children)
        if (c.name == child_name) return &c;
    return nullptr;
}

const xml_node* xml_node::at(std::string_view path) const {
    const xml_node* n = this;
    while (n && !path.empty()) {
        const auto slash = path.find('/');
        n = n->child(path.substr(0, slash));
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    }
    return n;
}

std::string xml_node::text_at(std::string_view path) const {
    const xml_node* n = at(path);
    return n ? n->text : std::string{};
}

std::vector<const xml_node*> xml_node::all(std::string_view child_name) const {
    std::vector<const xml_node*> out;
    for (const auto& c : children)
        if (c.name == child_name) out.push_back(&c);
    return out;
}

const xml_node* xml_node::find(std::string_view descendant_name) const {
    for (const auto& c : children) {
        if (c.name == descendant_name) return &c;
        if (const xml_node* n = c.find(descendant_name)) return n;
    }
    return nullptr;
}

xml_node parse_xml(std::string_view text) {
    if (text.size() > max_bytes)
        throw xml_parse_error("XML answer of " + std::to_string(text.size()) +
                              " bytes is too large");
    // The document's root element becomes the single child of a nameless node while parsing;
    // vector growth never moves a node on the stack because a parent only grows while it is
    // the innermost open element.
    builder b;
    std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
        XML_ParserCreate("UTF-8"), &XML_ParserFree);
    if (!parser) throw xml_parse_error("XML_ParserCreate failed");
    b.parser = parser.get();
    b.stack.push_back(&b.root);
    XML_SetUserData(parser.get(), &b);
    XML_SetElementHandler(parser.get(), on_start, on_end);
    XML_SetCharacterDataHandler(parser.get(), on_text);
    const auto status =
        XML_Parse(parser.get(), text.data(), static_cast<int>(text.size()), XML_TRUE);
    if (b.too_deep) throw xml_parse_error("XML nested deeper than " + std::to_string(max_depth));
    if (status != XML_STATUS_OK)
        throw xml_parse_error(std::string("malformed XML: ") +
                              XML_ErrorString(XML_GetErrorCode(parser.get())) + " at line " +
                              std::to_string(XML_GetCurrentLineNumber(parser.get())));
    if (b.root.children.size() != 1) throw xml_parse_error("malformed XML: no root element");
    return std::move(b.root.children.front());
}

}  // namespace lambench::aws
